"""QR codes for join links: small and pure, and only ever for the app's own address."""

import io

import qrcode
import qrcode.image.svg


def join_url(base_url, join_code):
    """The address a phone opens to join a table."""
    return f"{base_url.rstrip('/')}/j/{join_code}"


def qr_svg(url):
    """An SVG QR code for url: one path, scalable to any projector."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()

"""What the demo event says: a municipal co-design morning in the invented town
of Esempiano, in Italian with an English twin.

Written for Tavoli, every name invented: each organisation's name carries the
town's name, so none can match an organisation of a real registry. Texts are
pairs (Italian, English); the builder (workshop/demo/build.py) picks one side.
"""

from dataclasses import dataclass

from workshop.events.models import OrganisationKind
from workshop.events.organisations import organisation_key
from workshop.tables.models import Phase

TOWN = "Esempiano"

EVENT_TITLE = ("Demo – Tavoli del welfare di Esempiano", "Demo – Esempiano welfare tables")
EVENT_VENUE = ("Centro civico di Esempiano (luogo inventato)", "Esempiano civic centre (an invented place)")

_M, _V, _A = OrganisationKind.MUNICIPALITY, OrganisationKind.VOLUNTEER, OrganisationKind.ASSOCIATION
_C, _E, _O = OrganisationKind.SOCIAL_COOPERATIVE, OrganisationKind.SOCIAL_ENTERPRISE, OrganisationKind.OTHER

# Proper names: the same in both languages, as they would be in reality.
ORGANISATIONS = [
    ("Comune di Esempiano – Servizi sociali", _M),
    ("Comune di Esempiano – Servizi educativi", _M),
    ("Comune di Esempiano – Politiche giovanili", _M),
    ("Comune di Esempiano – Ufficio casa", _M),
    ("Comune di Esempiano – Lavoro e sviluppo locale", _M),
    ("Azienda servizi alla persona di Esempiano", _M),
    ("ODV Mani Aperte Esempiano", _V),
    ("ODV Il Faro di Esempiano", _V),
    ("ODV Nonni in Rete Esempiano", _V),
    ("ODV Scarpe Buone Esempiano", _V),
    ("Banco alimentare di quartiere Esempiano Nord", _V),
    ("Volontari della Stazione di Esempiano", _V),
    ("Gruppo volontari San Lucio di Esempiano", _V),
    ("Doposcuola volontario Esempiano Sud", _V),
    ("Sportello d'ascolto volontario di Esempiano", _V),
    ("APS Genitori Insieme Esempiano", _A),
    ("APS Piazza Aperta Esempiano", _A),
    ("APS Giovani in Cammino Esempiano", _A),
    ("APS Mondi Vicini Esempiano", _A),
    ("APS Musica nei Cortili Esempiano", _A),
    ("Associazione Inquilini di Esempiano", _A),
    ("Associazione Famiglie Affidatarie di Esempiano", _A),
    ("Associazione Donne al Centro di Esempiano", _A),
    ("Calcio Popolare Esempiano", _A),
    ("Comitato di quartiere Borgo Vecchio di Esempiano", _A),
    ("Cooperativa sociale La Ginestra di Esempiano", _C),
    ("Cooperativa sociale Il Ponte di Esempiano", _C),
    ("Cooperativa sociale Orti Condivisi Esempiano", _C),
    ("Cooperativa sociale Nido delle Rondini Esempiano", _C),
    ("Cooperativa sociale Lavoro e Dignità Esempiano", _C),
    ("Cooperativa sociale Strade Nuove Esempiano", _C),
    ("Cooperativa sociale Casa Comune Esempiano", _C),
    ("Cooperativa sociale Filo d'Erba Esempiano", _C),
    ("Cooperativa sociale Arcobaleno di Esempiano", _C),
    ("Impresa sociale Officina del Riuso Esempiano", _E),
    ("Impresa sociale Bottega Solidale Esempiano", _E),
    ("Impresa sociale Abitare Leggero Esempiano", _E),
    ("Impresa sociale Cucina di Comunità Esempiano", _E),
    ("Impresa sociale Ciclofficina Esempiano", _E),
    ("Consultorio familiare di Esempiano", _O),
    ("Centro per l'impiego di Esempiano", _O),
    ("Istituto comprensivo di Esempiano", _O),
]

# First names and an initial: what some participants type in the name box.
FIRST_NAMES = ["Giulia", "Marco", "Sara", "Luca", "Francesca", "Ahmed", "Chiara", "Paolo", "Elena", "Davide",
               "Fatima", "Giorgio", "Anna", "Matteo", "Irene", "Samuel", "Marta", "Stefano", "Ioana", "Nicola"]
INITIALS = "BCDFGLMNPRST"


@dataclass(frozen=True)
class DemoNeed:
    it: str
    en: str
    weight: int = 1  # how much the room likes it: the share of dots it tends to draw
    merge_into: int | None = None  # merged, at review, into the table's need at this index
    hidden: bool = False  # hidden by the facilitator at review (off topic)
    posted_as: tuple[str, str] | None = None  # the text first posted, corrected at review


@dataclass(frozen=True)
class DemoTable:
    name: tuple[str, str]
    phase: Phase
    participants: int
    needs: list[DemoNeed]
    voted: float = 1.0  # the share of participants who have voted (for a table still voting)


@dataclass(frozen=True)
class DemoTheme:
    name: tuple[str, str]
    colour: str
    description: tuple[str, str]
    tables: list[DemoTable]
    # Merged at the plenary: (table index, need index) into (table index, need index).
    plenary_merge: tuple[tuple[int, int], tuple[int, int]] | None = None


def need(it, en, weight=1, **extra):
    return DemoNeed(it, en, weight, **extra)


THEMES = [
    DemoTheme(
        name=("Famiglie e servizi per i minori", "Families and services for minors"),
        colour="#1f5fa8",
        description=("Sostegno ai genitori, prima infanzia, tutela dei minori, conciliazione dei tempi.",
                     "Support for parents, early childhood, child protection, balancing work and family."),
        plenary_merge=((1, 1), (0, 1)),
        tables=[
            DemoTable(("Prima infanzia e genitorialità", "Early childhood and parenting"), Phase.RESULTS, 12, [
                need("Più posti al nido a costi accessibili: la lista d'attesa supera i sei mesi.",
                     "More nursery places at an affordable cost: the waiting list is over six months.", 5),
                need("Uno sportello unico per le famiglie: oggi per un contributo si passa da cinque uffici.",
                     "A single front desk for families: today one benefit means going through five offices.", 4),
                need("Spazi gioco al coperto per l'inverno, aperti anche il sabato.",
                     "Indoor play spaces for the winter, open on Saturdays too.", 3),
                need("Gruppi di sostegno per i neogenitori nei primi mesi dopo la nascita.",
                     "Support groups for new parents in the first months after birth.", 3),
                need("Mediazione linguistica ai colloqui con pediatri e servizi, per le famiglie straniere.",
                     "Language mediation at meetings with paediatricians and services, for foreign families.", 2),
                need("Orari dei servizi compatibili con chi lavora su turni.",
                     "Opening hours that suit parents who work shifts.", 2,
                     posted_as=("orari dei servizzi x chi lavora a turni!!", "opening hours for parents on shifs!!")),
                need("Servono più asili nido, e che costino meno.", "We need more nurseries, and cheaper ones.", 1,
                     merge_into=0),
                need("Il parcheggio davanti al centro civico è sempre pieno.",
                     "The car park in front of the civic centre is always full.", 1, hidden=True),
            ]),
            DemoTable(("Adolescenti e tutela", "Teenagers and child protection"), Phase.RESULTS, 11, [
                need("Più educatori di strada nei quartieri dove i ragazzi passano i pomeriggi.",
                     "More street youth workers in the neighbourhoods where teenagers spend their afternoons.", 5),
                need("Un punto di accesso unico per le famiglie con figli adolescenti in difficoltà.",
                     "One point of access for families with teenagers in difficulty.", 4),
                need("Supporto psicologico rapido per i ragazzi: oggi si aspetta per mesi.",
                     "Quick psychological support for teenagers: today the wait is months.", 4),
                need("Famiglie affidatarie più sostenute e formate.",
                     "More support and training for foster families.", 3),
                need("Doposcuola gratuiti anche alle medie.", "Free after-school help in middle school too.", 2),
                need("Scuola, servizi sociali e associazioni coordinati sui casi di abbandono scolastico.",
                     "Schools, social services and associations working together on early school leaving.", 2),
                need("Educatori nei parchi la sera.", "Youth workers in the parks in the evening.", 1, merge_into=0),
            ]),
        ],
    ),
    DemoTheme(
        name=("Povertà e nuove fragilità", "Poverty and emerging fragility"),
        colour="#b45309",
        description=("Chi fatica ad arrivare a fine mese, solitudine, salute mentale: intercettare prima chi è "
                     "in difficoltà.",
                     "People struggling to make ends meet, loneliness, mental health: reaching people in "
                     "difficulty sooner."),
        tables=[
            DemoTable(("Reddito e bisogni primari", "Income and basic needs"), Phase.RESULTS, 12, [
                need("Un emporio solidale dove fare la spesa con una tessera a punti, senza vergogna.",
                     "A community grocery where people shop with a points card, without shame.", 5),
                need("Aiuto per le bollette prima del distacco, non dopo.",
                     "Help with energy bills before the supply is cut off, not after.", 4),
                need("Orientamento a bonus e contributi: molti non sanno di averne diritto.",
                     "Guidance on benefits: many people do not know they are entitled to them.", 3),
                need("Pasti caldi anche nel fine settimana.", "Hot meals at weekends too.", 3),
                need("Internet gratuito e aiuto con le pratiche online.",
                     "Free internet access and help with online forms.", 2),
                need("Microcredito per le spese impreviste: dentista, auto, caldaia.",
                     "Microcredit for unexpected costs: the dentist, the car, the boiler.", 2),
                need("Pagare le bollette è diventato impossibile per molte famiglie.",
                     "Paying energy bills has become impossible for many families.", 1, merge_into=1),
            ]),
            DemoTable(("Solitudine e salute mentale", "Loneliness and mental health"), Phase.VOTE, 11, [
                need("Un servizio di ascolto telefonico per anziani soli, tutti i giorni.",
                     "A daily phone listening service for older people living alone.", 5),
                need("Centri diurni per la salute mentale aperti anche nel tardo pomeriggio.",
                     "Mental health day centres open into the late afternoon.", 4),
                need("Formazione per i volontari, per riconoscere i segnali di disagio.",
                     "Training for volunteers to recognise the signs of distress.", 3),
                need("Portierato sociale nei condomini popolari.", "Social concierge services in council housing.",
                     3),
                need("Gruppi di auto mutuo aiuto per chi ha perso il lavoro.",
                     "Self-help groups for people who have lost their job.", 2),
                need("Trasporto accompagnato per le visite mediche.",
                     "Accompanied transport to medical appointments.", 2),
            ], voted=0.6),
        ],
    ),
    DemoTheme(
        name=("Politiche giovanili", "Youth policy"),
        colour="#7c3aed",
        description=("Spazi, partecipazione, orientamento e benessere dei ragazzi dai 14 ai 29 anni.",
                     "Spaces, participation, guidance and wellbeing for young people aged 14 to 29."),
        tables=[
            DemoTable(("Spazi e partecipazione", "Spaces and participation"), Phase.RESULTS, 10, [
                need("Uno spazio giovani autogestito, aperto la sera e nel fine settimana.",
                     "A youth space run by young people, open in the evenings and at weekends.", 5),
                need("Sale prova musicali a prezzi popolari.", "Music rehearsal rooms at low prices.", 4),
                need("Una consulta dei giovani che il Comune ascolti davvero.",
                     "A youth council that the municipality really listens to.", 3),
                need("Bandi semplici per piccoli progetti proposti dai ragazzi.",
                     "Simple calls for small projects proposed by young people.", 3),
                need("Wi-Fi gratuito e prese di corrente in biblioteca fino a tardi.",
                     "Free Wi-Fi and power sockets in the library until late.", 2),
                need("Campetti sportivi aperti e illuminati.", "Open and lit sports courts.", 2),
                need("Un posto dove stare la sera che non sia il bar.",
                     "Somewhere to go in the evening that is not a bar.", 1, merge_into=0),
            ]),
            DemoTable(("Scuola, orientamento e benessere", "School, guidance and wellbeing"), Phase.RESULTS, 10, [
                need("Orientamento dopo le medie fatto con le famiglie, non solo a scuola.",
                     "Guidance after middle school done with families, not only at school.", 5),
                need("Uno sportello psicologico in tutte le scuole superiori.",
                     "A counselling desk in every secondary school.", 4),
                need("Tirocini estivi retribuiti per i sedicenni.", "Paid summer traineeships for sixteen-year-olds.",
                     3),
                need("Educazione all'affettività e al consenso, con esperti esterni.",
                     "Relationships and consent education, with outside experts.", 3),
                need("Trasporti serali per tornare a casa dalle frazioni.",
                     "Evening transport home to the outlying villages.", 2),
                need("Ragazzi più grandi che aiutano i più piccoli a studiare.",
                     "Older students helping younger ones with their studies.", 2),
            ]),
        ],
    ),
    DemoTheme(
        name=("Lavoro", "Work"),
        colour="#047857",
        description=("Inserimento lavorativo, formazione, lavoro per le persone fragili, rete con le imprese.",
                     "Getting into work, training, jobs for vulnerable people, links with local businesses."),
        tables=[
            DemoTable(("Inserimento lavorativo", "Getting into work"), Phase.RESULTS, 11, [
                need("Borse lavoro di almeno dodici mesi per chi esce da un percorso di cura.",
                     "Work placements of at least twelve months for people leaving a course of treatment.", 5),
                need("Un tutor che accompagni la persona anche dopo l'assunzione.",
                     "A job coach who stays with the person after they are hired.", 4),
                need("Clausole sociali negli appalti del Comune.", "Social clauses in the municipality's contracts.",
                     3),
                need("Corsi serali di italiano per il lavoro.", "Evening Italian-for-work courses.", 3),
                need("Riconoscimento dei titoli di studio ottenuti all'estero.",
                     "Recognition of qualifications earned abroad.", 2),
                need("Custodia dei figli durante i corsi di formazione.", "Childcare during training courses.", 2),
                need("Accompagnare le persone anche quando hanno già trovato lavoro.",
                     "Keep supporting people once they have found a job.", 1, merge_into=1),
            ]),
            DemoTable(("Formazione e imprese", "Training and businesses"), Phase.COLLECT, 7, [
                need("Un elenco condiviso delle imprese disposte ad accogliere tirocini.",
                     "A shared list of businesses willing to host traineeships."),
                need("Corsi di competenze digitali di base per chi ha più di 50 anni.",
                     "Basic digital skills courses for people over 50."),
                need("Artigiani in pensione che insegnano il mestiere nelle cooperative sociali.",
                     "Retired craftspeople teaching their trade in social co-operatives."),
                need("Un tavolo permanente con le associazioni di categoria.",
                     "A standing table with the trade associations."),
                need("Patente e mezzi per raggiungere la zona industriale.",
                     "Driving licences and transport to reach the industrial area."),
            ]),
        ],
    ),
    DemoTheme(
        name=("Politiche abitative", "Housing policy"),
        colour="#be123c",
        description=("Casa a costi sostenibili, emergenza abitativa, coabitazione, qualità dell'abitare.",
                     "Affordable homes, housing emergencies, shared living, the quality of housing."),
        tables=[
            DemoTable(("Emergenza abitativa", "Housing emergencies"), Phase.RESULTS, 11, [
                need("Un fondo di garanzia per l'affitto, così i proprietari si fidano.",
                     "A rent guarantee fund, so that landlords feel safe to let.", 5),
                need("Alloggi temporanei per chi viene sfrattato, invece del dormitorio.",
                     "Temporary homes for evicted people instead of the night shelter.", 4),
                need("Recuperare gli alloggi popolari vuoti che aspettano lavori.",
                     "Bring empty council homes awaiting repairs back into use.", 3),
                need("Un'agenzia sociale per la casa che faccia da tramite con i proprietari.",
                     "A social lettings agency to act as go-between with landlords.", 3),
                need("Aiuto per le spese di trasloco e la caparra.", "Help with moving costs and deposits.", 2),
                need("Dormitorio aperto anche di giorno nei mesi freddi.",
                     "The night shelter open during the day in the cold months.", 2),
            ]),
            DemoTable(("Abitare sostenibile e coabitazione", "Affordable and shared living"), Phase.REVIEW, 8, [
                need("Coabitazione tra anziani soli e studenti, con un piccolo contributo.",
                     "Home sharing between older people living alone and students, for a small contribution."),
                need("Condomini solidali con spazi comuni gestiti dagli inquilini.",
                     "Community housing with shared spaces run by the tenants."),
                need("Riqualificazione energetica delle case popolari, per abbassare le bollette.",
                     "Energy upgrades of council homes, to lower the bills."),
                need("Affitti calmierati per le giovani coppie in centro.",
                     "Capped rents for young couples in the town centre."),
                need("Più case accessibili per le persone con disabilità.",
                     "More accessible homes for people with disabilities."),
                need("Far vivere insieme anziani e studenti universitari.",
                     "Older people and university students living together.", merge_into=0),
            ]),
        ],
    ),
]


@dataclass(frozen=True)
class Language:
    code: str
    side: int  # 0: Italian, 1: English

    def pick(self, pair):
        return pair[self.side]


LANGUAGES = [Language("it", 0), Language("en", 1)]


def organisation_keys():
    """The demo's organisations, as the registry folds their names (what removal looks for)."""
    return {organisation_key(name) for name, _kind in ORGANISATIONS}

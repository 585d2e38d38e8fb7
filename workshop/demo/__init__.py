"""The demo event: a realistic morning to try Tavoli on, built and removed in one step."""

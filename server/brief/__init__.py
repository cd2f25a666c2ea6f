"""The shift briefing: log entries in (`build`), a `Briefing` model out, rendered as Markdown,
printable HTML or JSON (`render`) in Korean or English. Pure: callers bring the entries."""

"""Sending an issue to people: recipients, messages, the journal, and the run that ties them.

The provider itself is reached only through `send.py` at the repository root (a `Transport`),
imported by transport.py (inside an installed wheel it is `newsletters/_send.py`); nothing in
this package opens a network connection. Modules:

    recipients   the subscriber CSV, suppression file, address checks
    message      one issue -> a MIME template (email.message) -> per-reader bytes
    journal      SQLite record of each reader's state
    boot         which start of the computer this is (when the journal must flush)
    lock         the per-issue send lock (no SQLite: a build asks it)
    qp           quoted-printable bodies encoded once per issue, filled per reader
    run          test sends, dry runs, list sends, status; the benchmark hook `deliver`
    transport    send.py as `provider`, without a top-level `send` module in a wheel
"""

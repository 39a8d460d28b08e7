"""Opt-outs that come back to the tool: by mail (IMAP), by one click (a WSGI service), by hand.

token.py   the signed token in every unsubscribe link and mailto: subject (carries the address)
store.py   the one record of who opted out, when, how and from which issue
imap.py    `newsletter unsubscribes fetch`: reads the opt-out mailbox
webapp.py  the one-click service (RFC 8058) and `newsletter unsubscribe-server`
collect.py fetching from the service, the status a list send checks
"""

"""Presentation: Jinja2 emails and answer pages, and the MIME builder. The rules of what to send live in `domain`."""

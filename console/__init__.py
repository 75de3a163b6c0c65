"""The staff console: a web app at /admin/ of the page server (channels/web/server.py).

Civil servants edit the knowledge base, read what citizens asked and where the assistant failed,
answer handed-over conversations and get warned of hot topics. Built on aiohttp (the page
server's stack) with aiohttp-session (encrypted cookie sessions), aiohttp-jinja2 (templates),
WTForms (forms and CSRF) and argon2 password hashes.
"""

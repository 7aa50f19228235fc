"""pages: what every HTML page eduhouse writes shares: the Jinja2 environment over
reports/templates, the inline CSS and the message catalogues (zh, en).

The role reports, the monthly publication and the governance audit all render through
it; it sits below reporting and governance so neither imports the other for it.
"""

"""The operator web console at /ui (issue 6): Jinja2 templates, htmx and Pico CSS vendored in
`static/`, live updates over server-sent events. `ui.routes.install_console` adds it to the
REST app."""

"""The office's web page: Starlette app, server-rendered, in Vietnamese."""

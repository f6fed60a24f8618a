"""The operations dashboard: see, control and follow every service, in a browser and in
``pos services``.

Two backends answer the same questions: the Docker engine (a Compose project's containers, through
the socket proxy in production) and the running process itself (embedded).
"""

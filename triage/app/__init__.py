"""The application layer: long-running and multi-step work built on the command layer.

``poller`` drives the command layer from Elasticsearch and OpenSearch on a schedule;
``integrity`` resolves keys and anchor files from the settings and runs anchoring and
verification. The tabletop exercises (``triage.tabletop``) sit on this layer too. The shells
(``triage.cli``, ``triage.tui``) call these; nothing below imports them.
"""

"""Mapping: each source format's documents in, one normalised ``Alert`` out.

One module per format (``elastic``, ``elastic_legacy``, ``wazuh``, ``suricata``, ``opensearch``,
``ecs``), the shared coercion helpers (``coerce``) and field lookup (``lookup``), and the
registry (``registry``: ``PROFILES`` in detection order, ``detect``, ``profile_named``,
``map_document``), re-exported here.
"""

from triage.mapping.profile import Profile
from triage.mapping.registry import PROFILES, detect, map_document, profile_named

__all__ = ["PROFILES", "Profile", "detect", "map_document", "profile_named"]

"""OAI-PMH 2.0 at ``/oai2d``: every published record version, harvestable as ``oai_dc`` and
``oai_datacite``, in sets, selectively by date, with stateless resumption tokens."""

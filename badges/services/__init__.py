"""The badges layer's use cases, one module per sub-domain (import from the module itself):

- `openbadges`: the Open Badges 2.0 documents (issuer, badge class, assertion JSON-LD) and the
  hosted assertion's cache; `versions`: a badge class's published versions; `baking`: baked
  PNG/SVG images;
- `awards`: award a badge (automatically, on a workshop's completion, by hand);
  `bulk`: awards from a CSV file; `emails`: the award emails; `revocation`: revoke badges;
  `backpack`: the holder's choices ("Mes badges"); `audit`: audit entries in bulk;
- `pix`, `pix_import`: PIX and Pix+ Édu certifications and Pix Orga imports;
- `origin`: the platform's Open Badges origin, and moving it.

The Celery tasks live beside the services they wrap; badges.tasks re-exports them by name.
"""

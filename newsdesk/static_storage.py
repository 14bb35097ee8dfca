"""Static files: hashed, compressed names once `collectstatic` has run.

`collectstatic` (make demo, deployments) writes every file under a name with
its content hash (site.3f2a9c1b7e4d.css) plus .gz/.br copies and a manifest;
pages then link the hashed names, which WhiteNoise serves with a far-future
`Cache-Control: max-age=315360000, immutable`: a changed file gets a new name,
so no reader ever sees a stale stylesheet. Before `collectstatic` (tests, a
fresh checkout) there is no manifest and pages link the plain names, served
from the source tree with a short max-age.
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name, force=False):
        if not self.hashed_files:  # no manifest yet: the plain name
            return StaticFilesStorage.url(self, name)
        try:
            return super().url(name, force)
        except ValueError:  # a file added since the last collectstatic
            return StaticFilesStorage.url(self, name)

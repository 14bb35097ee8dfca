"""Signals other apps listen to; news itself imports no other app.

`article_changed` is sent after the transaction that created, edited, published
or withdrew articles has committed, with their ids (discovery updates its index
from it); bulk writers inside `actions.collect_changes()` send it once.

`pages_changed` is sent, after commit, by an app whose own rows change what
cached pages show (discovery's stories), with the news.caching tags to purge.
"""

from django.dispatch import Signal

article_changed = Signal()  # kwargs: article_ids (list of ids)
pages_changed = Signal()  # kwargs: tags (news.caching tags)

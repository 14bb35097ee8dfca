"""Signals other apps listen to; news itself imports no other app.

`article_changed` is sent after the transaction that created, edited, published
or withdrew articles has committed, with their ids (discovery updates its index
from it); bulk writers inside `actions.collect_changes()` send it once.
"""

from django.dispatch import Signal

article_changed = Signal()  # kwargs: article_ids (list of ids)

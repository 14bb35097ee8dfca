"""Signals engagement sends; other apps listen, engagement imports none of them.

`view_recorded` is sent in the beacon request for each view handed to the
counter (before de-duplication within the view window), with `request` and
`hit` (counters.Hit). Receivers run in the hot path of every beacon: keep them
to an in-memory append.
"""

from django.dispatch import Signal

view_recorded = Signal()

"""Discovery's tables, one module per part: related (lists, clusters, the index's
saved state), stories, recommend (reading history). All belong to the `discovery`
app; importing this package registers every one of them exactly once."""

from newsdesk.discovery.models.recommend import ReadingHistory
from newsdesk.discovery.models.related import Cluster, IndexState, RelatedLink
from newsdesk.discovery.models.stories import Story, StoryMember, StoryPin

__all__ = [
    "Cluster",
    "IndexState",
    "ReadingHistory",
    "RelatedLink",
    "Story",
    "StoryMember",
    "StoryPin",
]

"""The page-extension registry: how other apps add to news's pages.

news imports no other app. An app adds to the article page (and the home
page's lists) by registering here from its own `AppConfig.ready()`:

    extensions.register_block(
        "related", title="Related", slot="main", setting="NEWSDESK_RELATED_PROVIDER",
        provider=related, fallback=blocks.newest_in_category,
    )
    extensions.register_extra(
        "reactions", slot="main", template="engagement/_reactions.html",
        context=reactions_context, scripts=("engagement/engagement.js",),
    )

- A **list block** is a list of articles under a title. Its provider follows the
  contract in news.blocks (which also enforces the page-wide rules: no
  repeats, no second copy of a report, failures contained); `fallback` is the
  built-in list shown when the provider gives nothing. It renders `template`
  (default news/_block.html) with `block` (a news.blocks.Block) in its context.
  `pages` says where it appears: "article", "home" or both.
- An **extra** is anything else: `context(request, article)` returns the dict
  its `template` is rendered with (None or {} shows nothing). Articles it lists
  go under the key "articles", so the page is purged when they change; other
  purge tags it depends on (news.caching) under "cache_tags", also when its
  template shows nothing yet. Members it adds to the page's NewsArticle
  structured data (JSON-LD, e.g. `isPartOf`) go under "jsonld" as a dict.
- `scripts` are static paths the page loads (deferred) while the extension shows.

An app also adds to the ninjs API (news.api): `register_item_links(links)`,
where `links(article, site)` returns the article's `news.ninjs.NinjsLink`s
(associations of /api/items/<id>/, e.g. its story) and the purge tags they
depend on; `register_api_paths(paths, schemas)` documents the app's own
endpoints under /api/ in /api/openapi.json.

Slots of the article page (news/article.html, in page order): "meta" in the
line under the headline, "body" right under the body, "main" at the end of the
story, "aside" beside it. The home page shows its blocks in its aside.

Settings, read on every page: `NEWSDESK_ARTICLE_EXTENSIONS` lists keys shown
first, in that order (the others follow in registration order, which is
INSTALLED_APPS order); `NEWSDESK_ARTICLE_EXTENSIONS_OFF` lists keys never
shown. A block's provider setting, and NEWSDESK_DUPLICATE_GROUPS, are read by
newsdesk.conf.load_plugin: "" is what the owning app registered, "off" none
(the block shows its built-in list; no grouping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from newsdesk.conf import load_plugin

SLOTS = ("meta", "body", "main", "aside")
PAGES = ("article", "home")


@dataclass(frozen=True)
class Extension:
    key: str
    slot: str
    template: str
    scripts: tuple[str, ...] = ()
    # extras
    context: Callable[[Any, Any], dict | None] | None = None
    # list blocks
    title: str = ""
    provider: Callable | None = None
    fallback: Callable | None = None
    setting: str = ""
    pages: tuple[str, ...] = ("article",)

    @property
    def is_block(self) -> bool:
        return self.fallback is not None

    def get_provider(self) -> Callable:
        """The block's provider: its setting (load_plugin) over the registered
        one; the built-in list when turned off or when none is registered."""
        value = getattr(settings, self.setting, "") if self.setting else ""
        provider = load_plugin(value, self.provider)
        return provider if provider is not None else self.fallback  # type: ignore[return-value]


_registry: dict[str, Extension] = {}
_duplicate_groups: list[Callable] = []
_sitemaps: list[type] = []
_item_links: dict[str, Callable] = {}
_api_paths: dict[str, dict] = {}
_api_schemas: dict[str, dict] = {}


def _register(extension: Extension) -> Extension:
    if extension.slot not in SLOTS:
        raise ValueError(f"{extension.key}: slot must be one of {SLOTS}")
    if not set(extension.pages) <= set(PAGES):
        raise ValueError(f"{extension.key}: pages must be among {PAGES}")
    # Registering a key again replaces it (ready() may run twice in tests).
    _registry[extension.key] = extension
    return extension


def register_block(
    key: str,
    *,
    title: str,
    fallback: Callable,
    provider: Callable | None = None,
    setting: str = "",
    slot: str = "aside",
    pages: tuple[str, ...] = ("article",),
    template: str = "news/_block.html",
    scripts: tuple[str, ...] = (),
) -> Extension:
    """A list block `key` (its data-block attribute) titled `title`."""
    return _register(
        Extension(
            key=key, slot=slot, template=template, scripts=tuple(scripts),
            title=title, provider=provider, fallback=fallback, setting=setting,
            pages=tuple(pages),
        )
    )  # fmt: skip


def register_extra(
    key: str,
    *,
    slot: str,
    template: str,
    context: Callable[[Any, Any], dict | None],
    scripts: tuple[str, ...] = (),
) -> Extension:
    """An article-page extra: `template` rendered with `context(request, article)`."""
    return _register(
        Extension(
            key=key, slot=slot, template=template, scripts=tuple(scripts),
            context=context,
        )
    )  # fmt: skip


def register_sitemap(sitemap: type) -> None:
    """A sitemap section (a django.contrib.sitemaps.Sitemap class naming its
    `section`, optionally its `cache_tags`) listed after the built-in ones."""
    if sitemap not in _sitemaps:
        _sitemaps.append(sitemap)


def registered_sitemaps() -> list[type]:
    """The registered sitemap classes, then those of NEWSDESK_SITEMAPS."""
    extra = [import_string(path) for path in settings.NEWSDESK_SITEMAPS]
    return [*_sitemaps, *(cls for cls in extra if cls not in _sitemaps)]


def register_duplicate_groups(lookup: Callable) -> None:
    """The default of NEWSDESK_DUPLICATE_GROUPS: `lookup(ids) -> {id: group}`."""
    _duplicate_groups[:] = [lookup]


def get_duplicate_groups() -> Callable | None:
    """The duplicate-group lookup lists use, or None (no grouping)."""
    default = _duplicate_groups[0] if _duplicate_groups else None
    return load_plugin(settings.NEWSDESK_DUPLICATE_GROUPS, default)


def register_item_links(key: str, links: Callable) -> None:
    """`links(article, site) -> (links, tags)`: ninjs associations of the
    article's API item (news.ninjs.NinjsLink, `site` the scheme and host to
    prefix paths with) and the purge tags (news.caching) of what they show."""
    _item_links[key] = links


def item_links(article, site: str) -> tuple[list, list[str]]:
    """Every registered app's links of one article's API item, and their tags."""
    links: list = []
    tags: list[str] = []
    for provider in _item_links.values():
        more, more_tags = provider(article, site)
        links += more
        tags += more_tags
    return links, tags


def register_api_paths(paths: dict[str, dict], schemas: dict[str, dict]) -> None:
    """OpenAPI path items and component schemas of an app's endpoints under /api/."""
    _api_paths.update(paths)
    _api_schemas.update(schemas)


def api_paths() -> tuple[dict[str, dict], dict[str, dict]]:
    return dict(_api_paths), dict(_api_schemas)


def extensions(*, page: str = "article") -> list[Extension]:
    """The extensions shown on `page` in page order: by slot, then in the
    settings' order. Blocks fill in this order too: an article goes to the
    first block on the page that wants it."""
    off = set(settings.NEWSDESK_ARTICLE_EXTENSIONS_OFF)
    first = [k for k in settings.NEWSDESK_ARTICLE_EXTENSIONS if k in _registry]
    keys = dict.fromkeys([*first, *_registry])
    shown = [
        e
        for e in (_registry[k] for k in keys if k not in off)
        if (page in e.pages if e.is_block else page == "article")
    ]
    return sorted(shown, key=lambda e: SLOTS.index(e.slot))


def registered() -> list[str]:
    """Every registered key, in registration order (doctor, docs)."""
    return list(_registry)


@dataclass
class Part:
    """One extension's piece of one page, rendered by the {% slot %} tag."""

    key: str
    template: str
    context: dict


@dataclass
class Parts:
    slots: dict[str, list[Part]]
    scripts: list[str]
    articles: list  # every article the extensions show (purge tags)
    tags: list[str]  # other purge tags the extensions depend on
    jsonld: dict = field(default_factory=dict)  # NewsArticle members they add


def page_parts(request, article, blocks, *, page: str = "article") -> Parts:
    """The page's slots: `blocks` (news.blocks.page_blocks) and the extras'
    contexts, in extension order."""
    by_key = {b.key: b for b in blocks}
    slots: dict[str, list[Part]] = {s: [] for s in SLOTS}
    scripts: list[str] = []
    articles: list = []
    tags: list[str] = []
    jsonld: dict = {}
    for ext in extensions(page=page):
        if ext.is_block:
            block = by_key.get(ext.key)
            if block is None:
                continue
            context: dict | None = {"block": block}
            articles += block.articles
        else:
            context = ext.context(request, article) if ext.context else None
            if not context:
                continue
            articles += list(context.get("articles", ()))
            tags += list(context.get("cache_tags", ()))
            jsonld.update(context.get("jsonld") or {})
        slots[ext.slot].append(Part(ext.key, ext.template, context))
        scripts += [s for s in ext.scripts if s not in scripts]
    return Parts(
        slots=slots, scripts=scripts, articles=articles, tags=tags, jsonld=jsonld
    )

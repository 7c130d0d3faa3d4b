"""Reading a story page (pure: HTML in, title, narration, chat log and image URLs out) and which URLs may be fetched."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from visualdistance.loader.scraper.config import CHAT_SELECTOR, DEFAULT_SELECTOR, TEXT_SELECTOR, TITLE_SELECTOR, ScrapeConfig


@dataclass
class PageContent:
    """What one story page says: title, narration, chat log and panel image URLs."""

    title: str | None
    text: str | None
    chat: str | None
    image_urls: list[str]


_BREAK = "\ue000"  # private-use char marking a line break while HTML whitespace is collapsed
_END = object()
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
# Buttons ("Show Pesterlog") are interface, not story text.
_SKIP_TAGS = frozenset({"script", "style", "button", "noscript", "template"})


def _text_of(tag: Tag) -> str:
    """Visible text of `tag`: HTML whitespace collapsed, one line per <br> or block."""
    parts: list[str] = []
    # An explicit stack, not recursion: malformed pages can nest thousands deep.
    stack: list[object] = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        if node is _END:
            parts.append(_BREAK)
        elif isinstance(node, Tag):
            if node.name in _SKIP_TAGS:
                continue
            if node.name == "br":
                parts.append(_BREAK)
                continue
            if node.name in _BLOCK_TAGS:
                parts.append(_BREAK)
                stack.append(_END)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes, PIs
            parts.append(str(node))
    lines = (" ".join(chunk.split()) for chunk in "".join(parts).split(_BREAK))
    return "\n".join(line for line in lines if line)


def _joined_text(soup: BeautifulSoup, selector: str, sep: str = "\n") -> str | None:
    tags = soup.select(selector)
    # Unclosed tags can nest one match inside another (<p>one<p>two); the outer
    # one's text already holds the inner one's, so count each piece of text once.
    chosen = {id(t) for t in tags}
    outer = [t for t in tags if not any(id(parent) in chosen for parent in t.parents)]
    texts = [t for t in (_text_of(tag) for tag in outer) if t]
    return sep.join(texts) if texts else None


def parse_page(
    html: str | bytes,
    base_url: str,
    selector: str = DEFAULT_SELECTOR,
    encoding: str | None = None,
) -> PageContent:
    """Parse one story page. `html` as text, or bytes with an optional declared encoding.

    Image ``src`` values are resolved against `base_url` (not the page URL), in
    document order; ``img`` tags without a ``src`` are ignored.
    """
    if isinstance(html, bytes) and encoding:
        try:
            html = html.decode(encoding, errors="replace")
        except LookupError:  # a charset Python does not know: let the parser sniff instead
            pass
    # html.parser is forgiving with unclosed tags and needs no extra dependency.
    soup = BeautifulSoup(html, "html.parser")
    title = _joined_text(soup, TITLE_SELECTOR, sep=" ")
    title = title.replace("\n", " ") if title else None  # a title is one line, even with <br> in it
    text = _joined_text(soup, TEXT_SELECTOR)
    chat = _joined_text(soup, CHAT_SELECTOR)
    base = base_url if base_url.endswith("/") else base_url + "/"
    urls: list[str] = []
    for img in soup.select(selector):
        src = img.get("src")
        if isinstance(src, list):  # bs4 hands back a list for multi-valued attributes
            src = " ".join(src)
        src = (src or "").strip()
        if not src:
            continue
        try:
            urls.append(urljoin(base, src))
        except ValueError:  # e.g. a malformed IPv6 host; keep it so it is reported as skipped
            urls.append(src)
    return PageContent(title=title, text=text, chat=chat, image_urls=urls)


def page_url(base_url: str, page: int) -> str:
    """The URL of story page `page` under `base_url`."""
    return f"{base_url.rstrip('/')}/story/{page}"


def url_refusal(url: str, config: ScrapeConfig) -> str | None:
    """Why `url` must not be fetched under `config`, or None when it may be."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "invalid URL"
    if parts.scheme not in ("http", "https"):
        return f"unsupported scheme {parts.scheme or '(none)'!r}"
    if not host:
        return "no host in URL"
    if host != config.host and not config.allow_other_hosts:
        return f"other host {host!r} not allowed"
    return None

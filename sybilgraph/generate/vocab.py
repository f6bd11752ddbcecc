"""Word lists the generator draws from: names, mail domains, countries, clients, address space.

Fixed lists (not random) so that the same seed gives the same data on every machine; the seeded
generator decides which entries are used and how often.
"""

from __future__ import annotations

import itertools
from typing import Final

__all__ = [
    "COUNTRIES",
    "DISPOSABLE_DOMAINS",
    "FIRST_NAMES",
    "HOSTING_FIRST_OCTETS",
    "LAST_NAMES",
    "LOCAL_DOMAINS",
    "RESIDENTIAL_FIRST_OCTETS",
    "USER_AGENTS",
    "WEBMAIL_DOMAINS",
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES: Final[tuple[str, ...]] = _words(
    """james mary john patricia robert jennifer michael linda william elizabeth david barbara
    richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew
    betty anthony sandra mark ashley donald kimberly steven emily paul donna andrew michelle
    joshua carol kenneth amanda kevin melissa brian deborah george stephanie timothy rebecca
    ronald laura jason helen edward sharon jeffrey cynthia ryan kathleen jacob amy gary angela
    nicholas anna eric brenda jonathan emma stephen olivia larry sophia justin ava scott mia
    brandon isabella benjamin chloe samuel grace gregory zoe alexander lily frank hannah raymond
    nora patrick ella jack aria dennis maya jerry leah tyler sofia aaron camila jose lucia adam
    valentina nathan mateo henry diego ahmed fatima mohammed aisha omar layla yusuf zainab ali
    mariam hassan noor wei li jing ming hui yan lei xin jun hao yuki haruto sakura ren aoi sota
    minjun seoyeon jiwoo hayun arjun priya rohan ananya vikram kavya rahul sneha amit pooja
    lukas lena felix hannes jonas marie paul emil sophie leon pierre camille louis chloe hugo
    manon giulia marco luca chiara andrea francesca pablo lucia javier carmen joao ana pedro
    beatriz tiago mariana ivan olga dmitri anastasia sergei natalia kwame ama chinedu ngozi
    tunde amara siddharth nikhil deepa ravi meera tomasz katarzyna piotr agnieszka emre elif"""
)

LAST_NAMES: Final[tuple[str, ...]] = _words(
    """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
    gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
    sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill
    flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips
    evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers
    gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson
    watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo
    sanders patel myers long ross foster jimenez wang zhang liu chen yang huang zhao wu zhou xu
    sun ma zhu hu guo he lin luo tanaka suzuki takahashi watanabe ito yamamoto nakamura kobayashi
    park choi jung kang cho yoon jang lim sharma singh kumar gupta reddy iyer nair das rao mehta
    mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann dubois durand
    leroy moreau laurent rossi russo ferrari esposito bianchi romano silva santos oliveira souza
    pereira costa ivanov smirnov kuznetsov popov novak kowalski nowak wisniewski yilmaz kaya
    demir sahin okafor adeyemi mensah owusu hussain khan ahmed rahman malik"""
)

#: Global webmail providers with rough shares of sign-ups.
WEBMAIL_DOMAINS: Final[tuple[tuple[str, float], ...]] = (
    ("gmail.com", 0.52),
    ("outlook.com", 0.08),
    ("hotmail.com", 0.07),
    ("yahoo.com", 0.06),
    ("icloud.com", 0.06),
    ("proton.me", 0.02),
    ("protonmail.com", 0.01),
    ("live.com", 0.02),
    ("aol.com", 0.01),
    ("me.com", 0.01),
    ("fastmail.com", 0.005),
    ("zoho.com", 0.005),
    ("hey.com", 0.003),
    ("pm.me", 0.003),
    ("googlemail.com", 0.004),
    ("msn.com", 0.005),
)

#: Country-specific providers (used by a share of each country's users).
LOCAL_DOMAINS: Final[dict[str, tuple[str, ...]]] = {
    "DE": ("gmx.de", "web.de", "t-online.de", "posteo.de"),
    "FR": ("orange.fr", "free.fr", "laposte.net", "sfr.fr"),
    "GB": ("btinternet.com", "sky.com", "yahoo.co.uk"),
    "JP": ("yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp"),
    "KR": ("naver.com", "daum.net", "kakao.com"),
    "BR": ("uol.com.br", "bol.com.br", "terra.com.br"),
    "IN": ("rediffmail.com", "yahoo.co.in"),
    "RU": ("yandex.ru", "mail.ru"),
    "UA": ("ukr.net", "i.ua"),
    "PL": ("wp.pl", "onet.pl", "o2.pl"),
    "IT": ("libero.it", "virgilio.it", "tiscali.it"),
    "CN": ("qq.com", "163.com", "126.com"),
    "TW": ("yahoo.com.tw",),
    "TR": ("yandex.com.tr",),
    "CZ": ("seznam.cz",),
    "NL": ("ziggo.nl", "kpnmail.nl"),
}

#: Throwaway-mail domains favoured by account farms.
DISPOSABLE_DOMAINS: Final[tuple[str, ...]] = (
    "mailinator.com",
    "guerrillamail.com",
    "sharklasers.com",
    "yopmail.com",
    "10minutemail.net",
    "tempmail.dev",
    "trashmail.de",
    "dropmail.me",
    "mail.tm",
    "getnada.com",
    "emailondeck.com",
    "maildrop.cc",
)

#: (ISO-2 code, share of users, typical UTC offset in hours during the window).
COUNTRIES: Final[tuple[tuple[str, float, int], ...]] = (
    ("US", 0.22, -5),
    ("IN", 0.09, 5),
    ("GB", 0.05, 1),
    ("DE", 0.045, 2),
    ("BR", 0.04, -3),
    ("JP", 0.035, 9),
    ("FR", 0.035, 2),
    ("CA", 0.03, -5),
    ("KR", 0.03, 9),
    ("ID", 0.03, 7),
    ("CN", 0.02, 8),
    ("VN", 0.02, 7),
    ("PH", 0.02, 8),
    ("MX", 0.02, -6),
    ("ES", 0.02, 2),
    ("IT", 0.02, 2),
    ("AU", 0.02, 10),
    ("NL", 0.015, 2),
    ("PL", 0.015, 2),
    ("TR", 0.015, 3),
    ("NG", 0.015, 1),
    ("PK", 0.015, 5),
    ("EG", 0.01, 3),
    ("BD", 0.01, 6),
    ("SG", 0.01, 8),
    ("TW", 0.01, 8),
    ("UA", 0.01, 3),
    ("AR", 0.01, -3),
    ("CO", 0.01, -5),
    ("SE", 0.01, 2),
    ("CH", 0.01, 2),
    ("IL", 0.01, 3),
    ("ZA", 0.01, 2),
    ("TH", 0.01, 7),
    ("MY", 0.01, 8),
    ("RU", 0.01, 3),
    ("CZ", 0.006, 2),
    ("KE", 0.006, 3),
    ("CL", 0.006, -4),
    ("PE", 0.005, -5),
    ("PT", 0.005, 1),
    ("BE", 0.005, 2),
    ("AT", 0.005, 2),
    ("IE", 0.005, 1),
    ("NZ", 0.004, 12),
    ("AE", 0.006, 4),
    ("SA", 0.006, 3),
    ("GR", 0.004, 3),
    ("RO", 0.005, 3),
    ("HU", 0.004, 2),
)

#: First octets of consumer ISP space (public, not reserved, not CGNAT's 100.64/10).
RESIDENTIAL_FIRST_OCTETS: Final[tuple[int, ...]] = (
    2, 5, 24, 31, 37, 41, 46, 49, 50, 58, 59, 60, 61, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
    77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 92, 93, 94, 95, 96, 97, 98, 99, 101,
    106, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124,
    125, 141, 171, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 186, 187, 189, 190,
    191, 200, 201, 211, 217, 218, 219, 220, 221, 222, 223,
)  # fmt: skip

#: First octets of hosting-provider and datacenter space.
HOSTING_FIRST_OCTETS: Final[tuple[int, ...]] = (
    5, 23, 37, 45, 46, 51, 54, 64, 66, 91, 103, 104, 107, 138, 139, 142, 146, 149, 154, 157,
    159, 161, 162, 165, 167, 170, 178, 185, 188, 193, 194, 195, 206, 209, 212, 213, 216,
)  # fmt: skip

#: Routing prefixes of IPv6 consumer and hosting space (first 16-bit group).
IPV6_PREFIXES: Final[tuple[int, ...]] = (
    0x2A02,
    0x2A01,
    0x2600,
    0x2601,
    0x2409,
    0x2405,
    0x2800,
    0x2003,
)


def _browser_agents() -> list[str]:
    systems = (
        "Windows NT 10.0; Win64; x64",
        "Macintosh; Intel Mac OS X 10_15_7",
        "X11; Linux x86_64",
        "X11; Ubuntu; Linux x86_64",
    )
    chrome = [
        f"Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
        for v in range(131, 115, -1)
        for os in systems[:3]
    ]
    edge = [
        f"Mozilla/5.0 ({systems[0]}) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"
        for v in range(131, 121, -1)
    ]
    firefox = [
        f"Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
        for v in range(133, 121, -1)
        for os in (systems[0], "Macintosh; Intel Mac OS X 10.15", systems[3])
    ]
    safari = [
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        f"(KHTML, like Gecko) Version/{v} Safari/605.1.15"
        for v in ("18.1", "18.0", "17.6", "17.5", "17.4", "17.3", "17.2", "16.6")
    ]
    mobile = [
        f"Mozilla/5.0 (iPhone; CPU iPhone OS {v} like Mac OS X) AppleWebKit/605.1.15 "
        f"(KHTML, like Gecko) Version/{v.split('_')[0]}.0 Mobile/15E148 Safari/604.1"
        for v in ("18_1", "18_0", "17_6", "17_5", "17_4", "16_7")
    ] + [
        f"Mozilla/5.0 (Linux; Android {a}; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{v}.0.0.0 Mobile Safari/537.36"
        for v in range(131, 123, -1)
        for a in (10, 14)
    ]
    # Interleave so that popularity (list order) mixes browsers, as real traffic does.
    streams = (chrome, edge, firefox, safari, mobile)
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*streams))
    return [ua for ua in mixed if ua is not None]


def _sdk_agents() -> list[str]:
    runtimes = ("CPython/3.12.7", "CPython/3.11.9", "CPython/3.10.14", "CPython/3.13.0")
    platforms = ("Linux; x86_64", "Darwin; arm64", "Windows; AMD64", "Linux; aarch64")
    python = [
        f"llm-sdk-python/1.{minor}.{patch} ({plat}) {rt}"
        for minor, patch in ((58, 1), (57, 0), (55, 3), (54, 4), (52, 2), (51, 0), (47, 1))
        for plat, rt in zip(platforms, runtimes, strict=True)
    ]
    node = [
        f"llm-sdk-node/4.{minor}.{patch} ({plat}) node/{nv}"
        for minor, patch in ((73, 0), (72, 1), (69, 0), (67, 3), (63, 0))
        for plat, nv in zip(platforms[:3], ("v20.18.0", "v22.11.0", "v18.20.4"), strict=True)
    ]
    httpx = [f"python-httpx/0.{m}.{p}" for m in (28, 27, 26, 25) for p in (1, 0)]
    requests = [f"python-requests/2.{m}.{p}" for m in (32, 31, 28) for p in (3, 2, 0)]
    tools = [
        *(f"curl/8.{m}.{p}" for m in (11, 10, 9, 7, 5, 4) for p in (1, 0)),
        *(f"axios/1.{m}.{p}" for m in (7, 6) for p in (9, 8, 7, 2)),
        *(f"okhttp/4.{m}.0" for m in (12, 11, 10, 9)),
        "Go-http-client/2.0",
        "Go-http-client/1.1",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        *(f"langchain-core/0.3.{p} llm-sdk-python/1.54.4" for p in (21, 19, 15, 10)),
        *(f"llama-index/0.12.{p} python-httpx/0.27.2" for p in (2, 1, 0)),
        *(f"ai-sdk/4.0.{p} node/v20.18.0" for p in (3, 2, 0)),
        *(f"reqwest/0.12.{p}" for p in (9, 8, 5)),
        *(f"Dart/3.{m} (dart:io)" for m in (5, 4, 3)),
    ]
    streams = (python, node, httpx, requests, tools)
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*streams))
    return [ua for ua in mixed if ua is not None]


def _agents() -> tuple[str, ...]:
    browsers, sdks = _browser_agents(), _sdk_agents()
    # Two browser strings for one SDK string near the top of the popularity order.
    out: list[str] = []
    for i in range(max(len(browsers), len(sdks))):
        out.extend(browsers[2 * i : 2 * i + 2])
        if i < len(sdks):
            out.append(sdks[i])
    return tuple(dict.fromkeys(out))


#: A few hundred client strings, most popular first (browsers and SDK header tuples).
USER_AGENTS: Final[tuple[str, ...]] = _agents()

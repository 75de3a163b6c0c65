"""Bilingual search over services and FAQs.

The core (:class:`Searcher`) is built from plain records and has no database dependency.

Text is normalised (NFKC, Traditional → Simplified, lower case, regional/colloquial variants
such as 不见了 → 丢失了, and phrase rewrites such as 香港驾照 / "UK licence" → a foreign licence)
and cut into *units*: jieba words for Chinese (backed by character bigrams and unigrams, so
segmentation differences and typos still match partly) and lemma stems for English
(typo-tolerant; pinyin loanwords such as "shebao" map to their Chinese words).

Service score = 1 − (1 − A)(1 − 0.85·C), in 0..1, where

* C (coverage) is the IDF-weighted share of the query's units found in the service's names,
  aliases, FAQ questions (and, weakly, its summary);
* A (alias strength) is set when a name or alias occurs verbatim in the query (Chinese by
  substring, English by stem sequence); where aliases of different services overlap, the
  longest wins ("港澳通行证" beats "通行证"). A generic alias ("护照", "ID card") is shared with
  the siblings whose aliases contain it ("护照丢了"), for a sibling that the rest of the text
  matches clearly better than the alias's owner ("护照被偷了，要补办" → passport_renewal).

FAQ score = query coverage × question coverage over the best question variant.
Question words carry no weight and service-neutral aspect words (材料, fee, where …) little, so a
text without service meaning scores below :data:`DEFAULT_THRESHOLD`. Mentions after a negation
("不是X", "not X", "rather than X", "instead of X") are down-weighted when the text also
mentions something else.
"""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import cached_property, lru_cache
from typing import Any

from knowledge_base import text as kbtext

__all__ = ["DEFAULT_THRESHOLD", "Hit", "Searcher", "clear_searcher_cache", "get_searcher"]

DEFAULT_THRESHOLD = 0.3
"""Top hits scoring below this carry no reliable service meaning."""

MAX_QUERY_CHARS = 500

# Field weights inside a service document.
_FW_NAME = 1.0
_FW_FAQ = 0.7
_FW_SUMMARY = 0.4
# Document-frequency contribution per field (topical fields count fully).
_DF_NAME, _DF_FAQ, _DF_SUMMARY = 1.0, 0.5, 0.25
# Query unit weights.
_W_ASPECT = 0.15  # service-neutral aspect words, for service scoring
_W_ASPECT_FAQ = 0.6  # … for FAQ scoring, where the aspect is what a question is about
_W_SINGLE_CHAR = 0.5  # one-character Chinese words are ambiguous
_W_NEGATED = 0.1
# English modifiers that help an alias they are part of ("first passport", "first grade") but name
# no service on their own ("can I apply online first"), by their analysed key ("first" reads as 1)
_EN_MODIFIERS = frozenset({"1"})
_W_MODIFIER = 0.3
# Coverage floor and cap, as multiples of the largest IDF (an unknown word):
_COVERAGE_FLOOR = 0.55  # about one specific word: less meaning than that cannot score high
_COVERAGE_CAP = 2.0  # beyond this query mass, unmatched words dilute less (long narratives)
_COVERAGE_GAIN = 0.85
_COVERAGE_POWER = 1.2  # > 1 discounts partial coverage (one incidental word in a long text)
_BIGRAM_FACTOR = 0.9
_CHAR_FACTOR = 0.35
_NEGATED_PENALTY = 0.5
# A generic alias ("护照") also counts for its siblings ("护照丢了" → passport_renewal) when the rest of
# the text matches a sibling by this much more (× the largest IDF; more than any one aspect word).
_FAMILY_EVIDENCE = 0.2
_MIN_SCORE = 0.05
# English aliases may have modifiers before their last word ("set up a small trading company"):
_EN_GAP = 2  # at most this many
_GAPPED = 0.8  # × the alias strength
_EN_GAP_CHARS = 24  # ... within this many characters
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\-/]")
_MISSING = object()

# ---------------------------------------------------------------- lexical resources


def _words(text: str) -> frozenset[str]:
    """A word set from whitespace-separated text."""
    return frozenset(text.split())


_ZH_STOP = _words(
    """
    怎么 怎样 怎么样 怎么办 如何 什么 啥 哪些 哪个 咋 咋办 为什么 是否 能否 可否 吗 呢 吧 啊 呀
    哦 嘛 我 我们 你 你们 您 他 她 它 他们 自己 本人 的 了 着 过 是 在 有 没有 没 和 与 及
    或 或者 还是 就 都 也 还 又 再 很 太 最 想 要 想要 需要 需 得 应该 必须 该 能 能不能 可以
    可不可以 会 办 办理 办一下 申请 申领 请问 请 问 问一下 咨询一下 一下 帮 帮我 帮忙 麻烦 告诉
    知道 了解 谢谢 你好 您好 这个 那个 这 那 个 些 一个 哪 去 到 给 把 被 让 跟 对 从 为 上
    下 里 中 呗 喔 嗯 好 好的 请教 相关 关于 具体 一些 东西 事 事情 情况 问题 方面 现在 目前
    还有 以及 然后 如果 的话 可 行 行不行 不行 一样 不是 而是 就是 但是 但 所以 因为 那么 这样
    那样 这么 多 比如 例如 等 等等 已经 刚 刚刚 正在 准备 打算 希望 该怎么 要怎么 怎么弄 弄 搞 做
    进行 处理 哪儿 儿 不能 不会 不可以 不用 不需要 不要 可能 也许 一定 而且 并且 不过 虽然 只是 只
    还要 都是 一直 总是 特别 非常 比较 大概 差不多 其实 真的 确实 到底 究竟 直接 咱们 大家 人家
    一点 有点 有些 什么样 今年 去年 明年 前年 上个月 下个月 这个月 本月 上周 下周 这周 本周 昨天
    前天 最近 以前 之前 以后 之后 后来 马上 很快 尽快 刚才 当时 平时 每天 每年 每月 早上 上午 下午
    晚上 中午 时 月 年 日 周 听说 觉得 认为 感觉 发现 看看 看 说 问问 一般 通常 大约 左右 结果
    然后呢 还是说 请问一下 想问 想问一下 我想 我要 要是 能够 可否 是不是 有没有 能不能 会不会 好不好
    对不对 出来 起来 下来 上来 过来 回来 进去 出去 下去 一趟
    """
)
# Numbers with an optional classifier ("两个", "三年", "5天") say nothing about a service.
_ZH_NUMBER_RE = re.compile(r"^[0-9一二三四五六七八九十百千万两几半零〇第]+[个次年月天周岁号本张份趟多]*$")
_ZH_STOP_CHARS = frozenset("来去的了吗呢吧啊呀哦嘛么哪我你您他她它们这那个些是在有没想要能会可请问给把被让跟和与或及就都也还又再很太最该得地着过之其呗嗯儿啥咋")
_ZH_ASPECT = _words(
    """
    材料 资料 证件 带 携带 文件 手续 流程 步骤 程序 顺序 多少 多少钱 钱 费用 收费 收费标准 免费 花
    交 缴 多久 多长时间 时间 几天 天 工作日 周期 期限 时限 地址 地方 地点 窗口 大厅 在哪 在哪儿
    哪里 位置 电话 号码 部门 单位 联系 联系方式 咨询 网上 线上 在线 网站 官网 网址 手机 app
    小程序 条件 资格 要求 规定 符合 上班 下班 办公 办公时间 开门 关门 几点 营业 营业时间 周末 节假日
    假期 今天 明天 后天 星期 周六 周日 工作 预约 排队 代办 别人 家人 标准 拿 领 开 交给 送 寄
    快递 快 慢 加急 当天 多长 长 时候 什么时候 可以吗 能办 办得了 哪个部门 找谁 谁 找 负责 管
    """
)
_EN_STOP = _words(
    """
    a an the i i'm me my mine myself we us our you your he she him his her it its they them their
    this that these those there here is are am was were be been being do does did doing done can
    could would should will shall may might must need needs want wanna like please help how what
    what's which whom why and or but if so then than also just only too very really about for of in
    on at by with from into to as up out get got getting go going have has had 's 'm 're 've 'd 'll
    n't not no yes hi hello hey thanks thank ok okay know tell find some any anything something one
    mean meant say said apply application applying make made let able possible still again already
    yet now today currently kind sort thing things way whether there's i'd i've i'll it's after
    before since until during while ago last next every each same other another own such both either
    neither all most more less few many several through over under further once then also even ever
    never always usually sometimes maybe perhaps probably actually basically anyway around almost
    quite rather soon later recently lately two three four five six seven eight nine ten hundred
    thousand year years month months give given gave says tell told ask asked think thought guess
    hope try tried use used come came put keep kept seem see saw look looking feel felt sure someone
    somebody anyone anybody everyone everything nothing something else lot lots bit little big good
    bad great nice right wrong new old
    """
)
_EN_ASPECT = _words(
    """
    document documents paper papers paperwork material materials bring require required requirement
    requirements cost costs fee fees price pay payment charge charged free much money long take
    takes time days day week weeks hour hours open opening close closing closed office offices
    address location located place where phone number contact call department who online website
    internet app web eligible eligibility qualify qualified condition conditions step steps process
    procedure when how procedures appointment queue weekend weekends holiday holidays saturday
    sunday monday friday quick quickly fast urgent soon collect pick send mail post form forms
    china chinese
    """
)
_EN_AUX = _words(
    """
    do does did is are am was were can could would should will shall may might must have has had
    """
)

# Pinyin loanwords English speakers use → the Chinese word (matched against Chinese text).
_PINYIN = {
    "hukou": "户口", "hukouben": "户口本", "huji": "户籍", "shenfenzheng": "身份证", "juzhuzheng": "居住证",
    "zanzhuzheng": "暂住证", "huzhao": "护照", "qianzheng": "签证", "qianzhu": "签注",
    "tongxingzheng": "通行证", "jiazhao": "驾照", "jiashizheng": "驾驶证", "xingshizheng": "行驶证",
    "chepai": "车牌", "weizhang": "违章", "shebao": "社保", "shebaoka": "社保卡", "yibao": "医保",
    "gongjijin": "公积金", "yanglaojin": "养老金", "tuixiujin": "退休金", "shiyejin": "失业金",
    "dibao": "低保", "fapiao": "发票", "geshui": "个税", "getihu": "个体户", "yingyezhizhao": "营业执照",
    "zhizhao": "执照", "jiehunzheng": "结婚证", "lihunzheng": "离婚证", "chushengzheng": "出生证",
    "zhunshengzheng": "准生证", "canjizheng": "残疾证", "gongzheng": "公证", "zhongcai": "仲裁",
    "fangchanzheng": "房产证", "guohu": "过户", "paichusuo": "派出所", "minzhengju": "民政局",
    "luohu": "落户", "qianhukou": "迁户口",
}
# Abbreviations → words (stemmed like any English word).
_ABBREVIATIONS = {
    "dl": ("driving", "licence"), "hk": ("hong", "kong"), "hpf": ("housing", "provident", "fund"),
    "iit": ("individual", "income", "tax"), "rp": ("residence", "permit"), "prc": ("china",),
    "sar": ("special", "administrative", "region"), "macao": ("macau",),
}
# Equal-length rewrites (regional vocabulary, colloquial synonyms), applied to all text alike.
_ZH_VARIANTS = {
    "身分证": "身份证", "国小": "小学", "国中": "初中", "网路": "网络", "健保": "医保", "机车": "摩托",
    "讯息": "信息", "遗失": "丢失", "弄丢": "丢失", "掉了": "丢了", "补领": "补办", "补发": "补办",
    "换领": "换证", "换发": "换证", "过期": "到期",
    # Taiwan/Hong Kong usage and common slips
    "不见了": "丢失了", "扶助": "援助", "法扶": "法援", "哪支电话": "哪个电话", "仲栽": "仲裁",
    "被盗": "被偷",
}
# Regional terms of another length, rewritten per word (they are also kept whole by jieba).
_ZH_TERMS = {
    "身心障碍": "残疾", "身障": "残疾", "身障手册": "残疾证", "身心障碍手册": "残疾证", "户政事务所": "派出所",
    "户政": "户籍", "健保卡": "医保卡", "驾驶执照": "驾驶证", "行车执照": "行驶证", "台胞证": "台湾居民来往大陆通行证",
    "低收入户": "低保户", "中低收入户": "低保户", "房租": "租房", "外籍人士": "外国人", "外籍人员": "外国人",
    "资遣": "辞退", "薪水": "工资", "薪资": "工资", "欠薪": "拖欠工资", "牌照": "车牌", "婴儿": "新生儿",
    "破损": "损坏", "弄坏": "损坏", "撕坏": "损坏", "撕破": "损坏", "泡坏": "损坏", "缺角": "损坏",
    "找不到": "丢失", "检举": "举报", "娃": "孩子", "娃娃": "孩子", "小娃": "孩子", "宝贝": "宝宝",
}
_ZH_VARIANT_RE = re.compile("|".join(sorted(map(re.escape, _ZH_VARIANTS), key=len, reverse=True)))
# Places whose driving licences are converted, not renewed (a 香港驾照, a UK licence).
_ZH_ABROAD = (
    "外国|国外|海外|境外|港澳|港台|香港|澳门|台湾|美国|英国|德国|法国|日本|韩国|俄罗斯|加拿大|澳大利亚|澳洲|新西兰|"
    "新加坡|马来西亚|泰国|意大利|西班牙|荷兰|瑞士|瑞典|印度|越南|菲律宾|巴西|墨西哥|欧洲|美洲|非洲"
)
_EN_ABROAD = (
    r"foreign|overseas|international|abroad|u\.s\.|usa|uk|american|british|english|german|french|japanese|"
    r"korean|australian|canadian|russian|italian|spanish|dutch|swiss|swedish|indian|singapore|singaporean|"
    r"malaysian|thai|brazilian|mexican|european|hong kong|hk|taiwan|taiwanese|macau|macao"
)
_LICENCE = r"(?:driving|driver'?s?|drivers'|motorcycle)?\s*licen[cs]e"
# Phrase rewrites (any length; offsets refer to the prepared text only).
_PHRASES = (
    # a measure word between the verb and the document ("注册个公司", "办张身份证", "换个内地驾照"):
    # the knowledge base's wording has none (first: the phrases below are written without one)
    (re.compile("(?<=[办注册申请开领补换弄整搞])(?:一)?(?:个|张|本|家|份)(?![月人])"), ""),
    (re.compile(f"(?:{_ZH_ABROAD})的?(?:驾照|驾驶证|驾驶执照)"), "境外驾照"),
    (re.compile("(?:换成|换为|转成|转为|转换成|换|转)(?:中国|国内|内地|大陆)的?(?:驾照|驾驶证|驾驶执照)"), "换国内驾照"),
    (re.compile(rf"\b(?:{_EN_ABROAD})\s+{_LICENCE}\b"), "foreign driving licence"),
    (re.compile(rf"\b(my|an?|the|his|her|our|their|your)\s+us\s+{_LICENCE}\b"), r"\1 foreign driving licence"),
    # a home put into someone else's name ("要过到我妈名下", "转到孩子名下"): a transfer
    (re.compile("(?:过|转|改|挂)(?:到|给|成|在)[^，,。？?]{0,6}名下"), "过户"),
    # the long forms of 社保 and 医保 ("想自己繳社會保險"), as the knowledge base's wording mostly has them
    (re.compile("社会保险"), "社保"),
    (re.compile("医疗保险"), "医保"),
    # a wallet pickpocketed ("钱包让人摸了"): stolen
    (re.compile("(?:让|被|叫)人?(?:给)?摸(?:了|走)"), "被偷"),
    # a document not found or left behind ("can't find my passport", "my ID card is gone", "left
    # her ID card in a taxi"): lost, as 找不到 is in Chinese
    (re.compile(r"\b(?:can'?t|cannot|can not|couldn'?t|could not)\s+find\b|\bnever (?:found|got back)\b"
                r"|\b(?:is|was|are|were|got|has been|have been)\s+(?:gone|missing)\b"), "lost"),
    (re.compile(r"\b(?:left|forgot|dropped)\b(?=[^.,;!?]{0,40}\b(?:in|on|at)\s+(?:an?\s+|the\s+|my\s+)?"
                r"(?:taxi|cab|didi|uber|bus|train|subway|metro|plane|flight|airport|restaurant|shop|store|hotel|park)\b)"),
     "lost"),
)

# Morphology that the suffix stripper does not catch (query and index both use it).
_STEM_MAP = {
    "marry": "marriag", "married": "marriag", "marriage": "marriag", "wed": "marriag",
    "extend": "extens", "license": "lic", "licence": "lic", "licensed": "lic", "licenses": "lic",
    "enroll": "enrol", "enrolled": "enrol", "enrollment": "enrol", "labor": "labour",
    "center": "centre", "centers": "centre", "lost": "los", "lose": "los", "loss": "los",
    "program": "programme", "complaint": "complain", "complaints": "complain",
    "steal": "los", "stolen": "los", "stole": "los", "theft": "los", "misplaced": "los", "identity": "id",
    "lend": "loan", "lent": "loan", "lending": "loan", "borrow": "loan", "borrowed": "loan", "borrowing": "loan",
}
_INFLECTIONS = (("ings", ""), ("ing", ""), ("ies", "y"), ("ed", ""), ("s", ""))
_DERIVATIONS = (
    ("isations", ""), ("isation", ""), ("ations", ""), ("ation", ""), ("itions", ""), ("ition", ""),
    ("ility", "l"), ("ments", ""), ("ment", ""), ("ances", ""), ("ance", ""), ("ences", ""), ("ence", ""),
    ("ions", ""), ("ion", ""), ("ness", ""), ("ities", ""), ("ity", ""), ("ates", ""), ("ate", ""),
    ("ises", ""), ("ise", ""), ("ives", ""), ("ive", ""), ("als", ""), ("al", ""), ("ers", ""), ("er", ""),
    ("ees", ""), ("ee", ""), ("ly", ""), ("y", ""), ("e", ""),
)
_E_SUFFIXES = frozenset({"ments", "ment", "ly", "ness", "als", "al", "ers", "er"})
_DOUBLED = re.compile(r"([bdgmnprt])\1$")
_IZE_RE = re.compile(r"iz(e|ed|es|ing|ation|ations)$")


def _strip(word: str, suffix: str, repl: str) -> str | None:
    """``word`` without ``suffix`` (plus ``repl``) if a long enough stem remains, else None."""
    if not word.endswith(suffix):
        return None
    rest = len(word) - len(suffix)
    if rest < (4 if suffix == "ly" else 3):
        return None
    if suffix == "s" and word.endswith(("ss", "us", "is")):
        return None
    if suffix == "y" and word[-2] in "aeiou":
        return None  # employ, pay, money keep their y
    return word[:rest] + repl


def _stem(lemma: str) -> str:
    """Light English stemmer applied after lemmatisation (renewal→renew, apply/application→appl)."""
    w = lemma.lower().strip("'")
    if w in _STEM_MAP:
        return _STEM_MAP[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    w = _IZE_RE.sub(r"is\1", w)
    for suffix, repl in _INFLECTIONS:
        stripped = _strip(w, suffix, repl)
        if stripped:
            w = _DOUBLED.sub(r"\1", stripped) if suffix in ("ing", "ed") else stripped
            if suffix in ("ing", "ed") and len(w) >= 6 and w.endswith(("at", "is", "iv")):
                w += "e"  # notarised → notarise, translated → translate (then as -ise, -ate)
            break
    if w in _STEM_MAP:
        return _STEM_MAP[w]
    for suffix, repl in _DERIVATIONS:
        stripped = _strip(w, suffix, repl)
        if stripped:
            w = stripped
            if suffix in _E_SUFFIXES and w.endswith("e") and len(w) > 4:
                w = w[:-1]  # replacement → replace → replac, like replace
            break
    if w.endswith("ll"):
        w = w[:-1]
    if w.endswith("ic") and len(w) > 4:
        w = w[:-2]
    if w.endswith("i") and len(w) > 4:
        w = w[:-1]
    if w.endswith("tr"):
        w = w[:-1]
    return w


_EN_ASPECT_STEMS = frozenset(_stem(w) for w in _EN_ASPECT)

# ---------------------------------------------------------------- analysed text


@dataclass(frozen=True)
class _Unit:
    """A unit of meaning: a Chinese word or an English stem, with its span in the text."""

    key: str
    zh: bool  # key is Chinese (also for pinyin mapped to Chinese)
    latin: bool  # comes from a Latin-script token (English alias matching)
    start: int
    end: int
    aspect: bool
    raw: str = ""  # English lemma before stemming (typo matching)

    @cached_property
    def bigrams(self) -> tuple[str, ...]:
        k = self.key
        return tuple(k[i:i + 2] for i in range(len(k) - 1)) if self.zh else ()

    @cached_property
    def chars(self) -> tuple[str, ...]:
        return tuple(c for c in self.key if c not in _ZH_STOP_CHARS) if self.zh else ()

    def weight(self, faq: bool = False) -> float:
        """Class weight: aspect words count little, single Chinese characters half."""
        w = (_W_ASPECT_FAQ if faq else _W_ASPECT) if self.aspect else 1.0
        return w * _W_SINGLE_CHAR if self.zh and len(self.key) == 1 else w


def _prepare(text: str) -> str:
    """Normalised text: NFKC, Simplified, lower case, variant and phrase rewrites."""
    text = _ZH_VARIANT_RE.sub(lambda m: _ZH_VARIANTS[m.group(0)], kbtext.normalize_aligned(text))
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    return text


def _zh_unit(word: str, start: int, end: int, latin: bool) -> _Unit | None:
    word = _ZH_TERMS.get(word, word)
    if word in _ZH_STOP or all(c in _ZH_STOP_CHARS for c in word) or _ZH_NUMBER_RE.match(word):
        return None
    return _Unit(word, True, latin, start, end, word in _ZH_ASPECT)


def _en_units(lemma: str, surface: str, start: int, end: int) -> list[_Unit]:
    if surface in _EN_STOP:
        return []  # the lookup lemmatizer has odd guesses ("does" → "doe")
    if lemma in _PINYIN:
        return [_Unit(_PINYIN[lemma], True, True, start, end, False)]
    words = _ABBREVIATIONS.get(lemma, (lemma,))
    units = []
    for word in words:
        stem = _stem(word)
        if word in _EN_STOP:
            continue
        aspect = word in _EN_ASPECT or stem in _EN_ASPECT_STEMS
        units.append(_Unit(stem, False, True, start, end, aspect, word))
    return units


def _analyze(prepared: str) -> list[_Unit]:
    """Units of already prepared text; stop words are dropped."""
    return list(_analyze_cached(prepared))


@lru_cache(maxsize=32768)
def _analyze_cached(prepared: str) -> tuple[_Unit, ...]:
    """:func:`_analyze`, remembered: an index rebuilt after a staff edit re-reads only the texts
    that changed (the rebuild is part of the edit-to-live time)."""
    units: list[_Unit] = []
    for tok in kbtext.tokenize(prepared):
        if any(kbtext.is_han(c) for c in tok.lemma):
            unit = _zh_unit("".join(tok.lemma.split()), tok.start, tok.end, False)
            units += [unit] if unit else []
        else:
            units += _en_units(tok.lemma, tok.text.lower(), tok.start, tok.end)
    return tuple(units)


# ---------------------------------------------------------------- results and index structures


@dataclass(frozen=True)
class Hit:
    """One search result; FAQ hits carry the service they belong to (or None)."""

    kind: str  # "service" | "faq"
    id: str
    service_id: str | None
    score: float
    matched: str


@dataclass
class _Postings:
    """feature → {doc index: field weight} for one feature type, with IDF."""

    table: dict[str, dict[int, float]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, doc: int, weight: float) -> None:
        row = self.table.setdefault(key, {})
        if weight > row.get(doc, 0.0):
            row[doc] = weight

    def get(self, key: str) -> dict[int, float]:
        return self.table.get(key, {})

    def finish(self, n_docs: int) -> None:
        """IDF where FAQ-only and summary-only occurrences count less (they rarely name the topic)."""
        for key, row in self.table.items():
            df = sum(_DF_NAME if w >= _FW_NAME else _DF_FAQ if w >= _FW_FAQ else _DF_SUMMARY for w in row.values())
            self.idf[key] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class _Alias:
    service: int
    text: str  # the alias as written (for Hit.matched)
    strength: float
    via: tuple[int, ...] = ()  # family alias: the services that own it (see Searcher._family_table)


@dataclass
class _Variant:
    """One FAQ question phrasing, pre-analysed."""

    faq: int
    text: str
    units: list[_Unit]
    words: frozenset[str]
    bigrams: frozenset[str]
    chars: frozenset[str]
    weights: list[float] = field(default_factory=list)  # per unit, for question coverage


@dataclass
class _Query:
    """An analysed query."""

    prepared: str
    units: list[_Unit]
    negated: list[tuple[int, int]]
    matches: list[tuple[_Alias, int, int]]

    def is_negated(self, pos: int) -> bool:
        return any(s <= pos < e for s, e in self.negated)


# ---------------------------------------------------------------- helpers


def _bi(value: Any, lang: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(lang)
    return getattr(value, lang, None) if value is not None else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [v for v in value if isinstance(v, str) and v.strip()]


def _record(obj: Any) -> dict:
    if isinstance(obj, Mapping):
        return dict(obj)
    if is_dataclass(obj):
        return asdict(obj)
    return dict(vars(obj))


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (transpositions count 1), early exit above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_SEP = "\x1f"


@lru_cache(maxsize=65536)
def _joined(units: tuple) -> str:
    return _SEP + _SEP.join(units) + _SEP


def _contains(big: tuple, small: tuple) -> bool:
    """True if ``small`` is a contiguous part of ``big`` (a substring test on the joined units,
    which never contain the separator: the index build makes about a million of these)."""
    return _joined(small) in _joined(big)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


_ZH_NEG_RE = re.compile(r"(?<!是)(?:而不是|并不是|不是|并非|而非|不办|不要办|不想办)")
_ZH_NEG_END_RE = re.compile(r"[,.;!?，。；！？、:：]|而是|是|我")
_EN_NEG_RE = re.compile(r"(?:\b([a-z']+)\s+)?\b(not|rather than|instead of)\b")
_EN_NEG_END_RE = re.compile(r"[,.;!?，。；！？:：]|\b(?:but|i|i'm|we|it's|and)\b")


def _negated_spans(prepared: str) -> list[tuple[int, int]]:
    """Character spans that follow a negation cue, up to the next clause boundary."""
    spans = []
    for m in _ZH_NEG_RE.finditer(prepared):
        end_m = _ZH_NEG_END_RE.search(prepared, m.end())
        spans.append((m.end(), min(end_m.start() if end_m else len(prepared), m.end() + 8)))
    for m in _EN_NEG_RE.finditer(prepared):
        if m.group(2) == "not" and m.group(1) in _EN_AUX:
            continue  # "do not", "can not": negates a verb, not a service
        end_m = _EN_NEG_END_RE.search(prepared, m.end())
        spans.append((m.end(), min(end_m.start() if end_m else len(prepared), m.end() + 40)))
    return [(s, e) for s, e in spans if e > s]


# ---------------------------------------------------------------- the searcher


def dictionary_words(services: Sequence[Mapping]) -> list[str]:
    """The jieba user-dictionary entries for these services (names, aliases, their normalised
    forms, regional terms). The NLU tokenizer adds the very same words, so that Chinese is cut
    the same way in training, in serving and in search."""
    words: set[str] = set()
    for s in services:
        for lang in ("zh", "en"):
            words.update(_strings(_bi(s.get("name"), lang)))
            words.update(_strings(_bi(s.get("aliases"), lang)))
    ordered = sorted(w for w in words if w)
    return ordered + [_prepare(w) for w in ordered] + sorted(_ZH_TERMS)


class Searcher:
    """Ranked service and FAQ search over an in-memory index (build once, query often)."""

    def __init__(self, services: Sequence[Mapping], faqs: Sequence[Mapping]):
        self._services = [dict(s) for s in services]
        self._faqs = [self._faq_record(f) for f in faqs]
        self._service_index = {s["id"]: i for i, s in enumerate(self._services)}
        kbtext.add_words(dictionary_words(self._services))
        self._fuzzy_cache: dict[tuple[str, str], Any] = {}
        self._build_service_index()
        self._build_aliases()
        self._build_faq_index()

    # ------------------------------------------------------------ construction

    @classmethod
    def from_records(cls, services: Iterable[Any], faqs: Iterable[Any]) -> Searcher:
        """Build from service and FAQ records (dicts, or dataclasses with the same fields)."""
        return cls([_record(s) for s in services], [_record(f) for f in faqs])

    @staticmethod
    def _faq_record(f: Mapping) -> dict:
        rec = dict(f)
        if "service" not in rec:  # repository dataclasses call it service_id
            rec["service"] = rec.get("service_id")
        return rec

    def user_words(self) -> list[str]:
        """All service names and aliases (both languages), for the jieba user dictionary."""
        words: set[str] = set()
        for s in self._services:
            for lang in ("zh", "en"):
                words.update(_strings(_bi(s.get("name"), lang)))
                words.update(_strings(_bi(s.get("aliases"), lang)))
        return sorted(words)

    def _service_fields(self, s: Mapping) -> list[tuple[str, float]]:
        fields = []
        for lang in ("zh", "en"):
            fields += [(t, _FW_NAME) for t in _strings(_bi(s.get("name"), lang))]
            fields += [(t, _FW_NAME) for t in _strings(_bi(s.get("aliases"), lang))]
            fields += [(t, _FW_SUMMARY) for t in _strings(_bi(s.get("summary"), lang))]
        return fields

    def _build_service_index(self) -> None:
        self._words, self._bigrams, self._chars, self._stems = (_Postings() for _ in range(4))
        self._lemma_stems: dict[str, str] = {}
        docs = [self._service_fields(s) for s in self._services]
        for f in self._faqs:
            i = self._service_index.get(f.get("service") or "")
            if i is not None:
                for lang in ("zh", "en"):
                    docs[i] += [(q, _FW_FAQ) for q in _strings(_bi(f.get("questions"), lang))]
        for i, fields in enumerate(docs):
            for text, weight in fields:
                for u in _analyze(_prepare(text)):
                    self._index_unit(u, i, weight)
        self._n = max(len(self._services), 1)
        self._idf_max = math.log(1 + (self._n + 0.5) / 0.5)
        for postings in (self._words, self._bigrams, self._chars, self._stems):
            postings.finish(self._n)
        self._typo_index: dict[str, set[str]] = {}  # deletion variant → known words and stems
        for word in set(self._stems.table) | set(self._lemma_stems):
            if len(word) >= 4 and word.isalpha():
                for d in _deletions(word) | {word}:
                    self._typo_index.setdefault(d, set()).add(word)

    def _index_unit(self, u: _Unit, doc: int, weight: float) -> None:
        if u.key.isdigit() and weight < _FW_NAME:
            return  # numbers in prose (fees, days) are not what a service is called
        if not u.zh:
            self._stems.add(u.key, doc, weight)
            if u.raw:
                self._lemma_stems[u.raw] = u.key
            return
        self._words.add(u.key, doc, weight)
        for sub in kbtext.sub_words(u.key):
            self._words.add(sub, doc, weight)
        for b in u.bigrams:
            self._bigrams.add(b, doc, weight)
        for c in u.chars:
            self._chars.add(c, doc, weight)

    def _build_aliases(self) -> None:
        """Verbatim aliases: Chinese by substring, English by stem sequence."""
        zh: dict[str, list[tuple[int, str]]] = {}
        en: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        self._en_aspect_aliases: set[tuple[str, ...]] = set()  # keys containing aspect words
        for i, s in enumerate(self._services):
            for lang in ("zh", "en"):
                for alias in _strings(_bi(s.get("name"), lang)) + _strings(_bi(s.get("aliases"), lang)):
                    self._add_alias(alias, i, zh, en)
        self._zh_aliases = self._alias_table(zh, self._zh_df(zh), lambda k: {2: 0.55, 3: 0.62}.get(len(k), 0.7))
        self._en_aliases = self._alias_table(en, self._en_df(en), lambda k: {1: 0.55, 2: 0.65}.get(len(k), 0.7))
        self._en_alias_max = max((len(k) for k in self._en_aliases), default=0)
        # pinyin words that are an English alias already ("hukou", "dibao") are matched as such
        self._pinyin_aliases = frozenset(w for w in kbtext.pinyin_words() if any(w in k for k in self._en_aliases))
        self._zh_family = self._family_table(self._zh_aliases, lambda big, small: small in big)
        self._en_family = self._family_table(self._en_aliases, _contains)

    @staticmethod
    def _family_table(aliases: dict, contains) -> dict:
        """Generic alias → the sibling services that have a longer alias containing it.

        "护照" names passport_application, but "护照丢了" and "换护照" belong to passport_renewal:
        the generic word is the family's. A sibling gets the alias's strength when the rest of the
        message (lost, expired, newborn, foreign …) speaks for it (see :meth:`_score_services`).
        """
        out: dict = {}
        for key, owners in aliases.items():
            own = {a.service for a in owners}
            strength = max(a.strength for a in owners)
            siblings = sorted({
                a.service for other, o in aliases.items() if other != key and contains(other, key) for a in o
            } - own)
            if siblings:
                via = tuple(sorted(own))
                out[key] = [_Alias(i, owners[0].text, strength, via) for i in siblings]
        return out

    def _add_alias(self, alias: str, i: int, zh: dict, en: dict) -> None:
        prepared = _prepare(alias)
        units = _analyze(prepared)
        if not any(not u.aspect for u in units):
            return  # only question or aspect words: no service meaning
        if any(kbtext.is_han(c) for c in prepared):
            norm = "".join(prepared.split())
            if len(norm) >= 2:
                zh.setdefault(norm, []).append((i, alias))
        else:
            key = tuple(u.key for u in units)
            en.setdefault(key, []).append((i, alias))
            if any(u.aspect for u in units):
                self._en_aspect_aliases.add(key)

    @staticmethod
    def _zh_df(zh: dict) -> dict[str, int]:
        """How many services have an alias containing each alias."""
        by_service: dict[int, list[str]] = {}
        for norm, owners in zh.items():
            for i, _ in owners:
                by_service.setdefault(i, []).append(norm)
        return {norm: sum(any(norm in n for n in ns) for ns in by_service.values()) for norm in zh}

    @staticmethod
    def _en_df(en: dict) -> dict[tuple[str, ...], int]:
        by_service: dict[int, list[tuple[str, ...]]] = {}
        for key, owners in en.items():
            for i, _ in owners:
                by_service.setdefault(i, []).append(key)

        return {key: sum(any(_contains(k, key) for k in ks) for ks in by_service.values()) for key in en}

    @staticmethod
    def _alias_table(table: dict, df: dict, base) -> dict:
        """Alias strength: longer is stronger; shared by several services is weaker."""
        out = {}
        for key, owners in table.items():
            strength = base(key) / math.sqrt(max(df.get(key, 1), 1))
            seen: dict[int, _Alias] = {}
            for i, text in owners:
                seen.setdefault(i, _Alias(i, text, strength))
            out[key] = list(seen.values())
        return out

    def _build_faq_index(self) -> None:
        self._variants: list[_Variant] = []
        self._variant_postings: dict[str, set[int]] = {}
        for fi, f in enumerate(self._faqs):
            for lang in ("zh", "en"):
                for q in _strings(_bi(f.get("questions"), lang)):
                    self._add_variant(fi, q)
        for v in self._variants:
            v.weights = [u.weight(faq=True) * self._importance(u) for u in v.units]

    def _add_variant(self, fi: int, text: str) -> None:
        units = _analyze(_prepare(text))
        if not units:
            return
        v = _Variant(
            faq=fi,
            text=text,
            units=units,
            words=frozenset(u.key for u in units),
            bigrams=frozenset(b for u in units for b in u.bigrams),
            chars=frozenset(c for u in units for c in u.chars),
        )
        vi = len(self._variants)
        self._variants.append(v)
        for key in v.words | v.bigrams:
            self._variant_postings.setdefault(key, set()).add(vi)

    # ------------------------------------------------------------ unit matching

    def _coverage(self, matched: float, total: float) -> float:
        """Share of a query's meaning that is matched, in 0..1.

        Below the floor the text has too little meaning to score high; above the cap the
        unmatched part is damped so that a long story around one clear request still scores.
        """
        total = max(total, _COVERAGE_FLOOR * self._idf_max)
        matched = min(matched, total)
        damp = min(1.0, _COVERAGE_CAP * self._idf_max / total)
        return matched / (matched + damp * (total - matched)) if matched > 0 else 0.0

    def _importance(self, u: _Unit) -> float:
        """IDF of a unit (unknown words get the maximum: unexplained meaning)."""
        if not u.zh:
            fuzzy = None if u.key in self._stems.idf else self._fuzzy_stem(u)
            return self._stems.idf.get(fuzzy[0] if fuzzy else u.key, self._idf_max)
        if len(u.key) == 1:
            return self._chars.idf.get(u.key, self._idf_max)
        if u.key in self._words.idf:
            return self._words.idf[u.key]
        bigrams = u.bigrams
        return sum(self._bigrams.idf.get(b, self._idf_max) for b in bigrams) / len(bigrams)

    def _fuzzy_stem(self, u: _Unit) -> tuple[str, float] | None:
        """Indexed stem closest to an unknown English word (typos), with a similarity factor."""
        key = (u.raw or u.key, u.key)
        cached = self._fuzzy_cache.get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        found = (self._closest(u.raw) if u.raw else None) or self._closest(u.key)
        if len(self._fuzzy_cache) > 10_000:
            self._fuzzy_cache = {}
        self._fuzzy_cache[key] = found
        return found

    def _closest(self, word: str) -> tuple[str, float] | None:
        """(stem, factor) of the known word or stem within edit distance 1 (2 if long)."""
        if len(word) < 4 or not word.isalpha():
            return None
        candidates: set[str] = set()
        for d in _deletions(word) | {word}:
            candidates |= self._typo_index.get(d, set())
        limit = 1 if len(word) < 7 else 2
        best = None
        for cand in sorted(candidates):
            dist = _edit_distance(word, cand, limit)
            if len(word) < 5 and sorted(word) != sorted(cand):
                continue  # short words: only swapped letters ("laon"), not "life" → "live"
            if 0 < dist <= limit and (best is None or dist < best[1]):
                best = (cand, dist)
        if best is None:
            return None
        stem = self._lemma_stems.get(best[0], best[0])
        if stem not in self._stems.idf:
            return None
        return stem, 0.85 if best[1] <= 1 else 0.7

    def _unit_matches(self, u: _Unit) -> dict[int, float]:
        """Service doc → match strength (0..1) of one query unit."""
        if not u.zh:
            row = self._stems.get(u.key)
            if row:
                return row
            fuzzy = self._fuzzy_stem(u)
            return {} if fuzzy is None else {d: w * fuzzy[1] for d, w in self._stems.get(fuzzy[0]).items()}
        if len(u.key) == 1:
            return dict(self._chars.get(u.key))
        out = dict(self._words.get(u.key))
        self._merge_partial(out, [self._bigrams.get(b) for b in u.bigrams], _BIGRAM_FACTOR)
        self._merge_partial(out, [self._chars.get(c) for c in u.chars], _CHAR_FACTOR, len(u.key))
        return out

    @staticmethod
    def _merge_partial(out: dict[int, float], rows: list[dict[int, float]], factor: float,
                       size: int | None = None) -> None:
        """out[d] = max(out[d], factor × (sum over rows of row[d]) / size)."""
        size = size or len(rows)
        if not size:
            return
        totals: dict[int, float] = {}
        for row in rows:
            for d, w in row.items():
                totals[d] = totals.get(d, 0.0) + w
        for d, total in totals.items():
            value = factor * total / size
            if value > out.get(d, 0.0):
                out[d] = value

    @staticmethod
    def _match_in(u: _Unit, words, bigrams, chars) -> float:
        """Match strength of unit ``u`` against a bag of words/bigrams/chars."""
        if u.key in words:
            return 1.0
        if not u.zh:
            return 0.0
        if len(u.key) == 1:
            return 1.0 if u.key in chars else 0.0
        bg = u.bigrams
        part_b = _BIGRAM_FACTOR * sum(b in bigrams for b in bg) / len(bg)
        part_c = _CHAR_FACTOR * sum(c in chars for c in u.chars) / len(u.key)
        return max(part_b, part_c)

    # ------------------------------------------------------------ search

    def search(self, text: str, lang: str | None = None, limit: int = 5) -> list[Hit]:
        """Rank services and FAQs for ``text``; ``lang`` ("zh"/"en") picks the display name."""
        text = (text or "")[:MAX_QUERY_CHARS]
        if not text.strip() or (not self._services and not self._faqs):
            return []
        query = self._analyze_query(text)
        scores, penalised = self._score_services(query)
        lang = lang or ("zh" if any(kbtext.is_han(c) for c in text) else "en")
        hits = self._service_hits(query, scores, lang) + self._faq_hits(query, penalised)
        hits = [h for h in hits if h.score >= _MIN_SCORE]
        hits.sort(key=lambda h: (-h.score, h.kind != "service", h.id))
        return hits[:limit]

    def _analyze_query(self, text: str) -> _Query:
        prepared = kbtext.rewrite_pinyin(_prepare(text), self._pinyin_aliases)
        units = _analyze(prepared)
        query = _Query(prepared, units, [], [])
        query.matches = self._alias_matches(prepared, units)
        spans = _negated_spans(prepared)
        if spans:
            query.negated = spans
            outside = [u for u in units if not u.aspect and not query.is_negated(u.start)]
            outside += [m for m in query.matches if not query.is_negated(m[1])]
            if not outside:
                query.negated = []  # nothing else mentioned: keep the negated mention
        return query

    def _alias_matches(self, prepared: str, units: list[_Unit]) -> list[tuple[_Alias, int, int]]:
        """Alias occurrences (alias, start, end), minus those inside a longer alias of another service."""
        found: list[tuple[_Alias, int, int]] = []
        positions = [i for i, c in enumerate(prepared) if not c.isspace()]
        compact = "".join(prepared[i] for i in positions)
        for norm, aliases in self._zh_aliases.items():
            start = compact.find(norm)
            while start >= 0:
                s, e = positions[start], positions[start + len(norm) - 1] + 1
                found += [(a, s, e) for a in aliases + self._zh_family.get(norm, [])]
                start = compact.find(norm, start + 1)
        latin = [u for u in units if u.latin]
        found += self._en_sequence_matches(latin, with_aspect=True)
        found += self._en_sequence_matches([u for u in latin if not u.aspect], with_aspect=False, prepared=prepared)
        return [m for m in found if not self._inside_longer(m, found)]

    def _en_sequence_matches(self, units: list[_Unit], with_aspect: bool,
                             prepared: str = "") -> list[tuple[_Alias, int, int]]:
        """English aliases as contiguous unit sequences; without aspect words only aliases that have none."""
        keys = [u.key for u in units]
        found = []
        for i in range(len(keys)):
            for j in range(i + 1, min(len(keys), i + self._en_alias_max) + 1):
                key = tuple(keys[i:j])
                if not with_aspect and key in self._en_aspect_aliases:
                    continue
                for a in self._en_aliases.get(key, []) + self._en_family.get(key, []):
                    found.append((a, units[i].start, units[j - 1].end))
        if not with_aspect and prepared:
            ends = {j for j, u in enumerate(units) for _, _, e in found if u.end == e}
            found += self._en_gapped_matches(units, keys, ends, prepared)
        return found

    def _en_gapped_matches(self, units: list[_Unit], keys: list[str], ends: set[int],
                           prepared: str) -> list[tuple[_Alias, int, int]]:
        """English aliases of two or more words whose last word (the noun) follows after up to
        ``_EN_GAP`` modifiers ("set up a small trading company": "set up a company"), a little
        weaker than the verbatim alias. A word that ends another alias is no modifier ("a housing
        fund loan instead of a withdrawal"): ``ends`` are the indexes of such words. The gap stays
        within a phrase: no punctuation and at most
        ``_EN_GAP_CHARS`` characters."""
        found = []
        for i in range(len(keys)):
            for n in range(2, self._en_alias_max + 1):
                head = tuple(keys[i:i + n - 1])
                if len(head) < n - 1:
                    break
                for gap in range(1, _EN_GAP + 1):
                    last = i + n - 1 + gap
                    if last >= len(keys) or last - 1 in ends:
                        break
                    between = prepared[units[i + n - 2].end:units[last].start]
                    if len(between) > _EN_GAP_CHARS or _CLAUSE_BREAK.search(between):
                        break
                    for a in self._en_aliases.get(head + (keys[last],), []):
                        found.append((_Alias(a.service, a.text, a.strength * _GAPPED, a.via),
                                      units[i].start, units[last].end))
        return found

    @staticmethod
    def _inside_longer(m: tuple[_Alias, int, int], found: list[tuple[_Alias, int, int]]) -> bool:
        a, s, e = m
        return any(
            o.service != a.service and os_ <= s and e <= oe and (oe - os_) > (e - s)
            for o, os_, oe in found
        )

    def _weights(self, query: _Query, faq: bool) -> list[float]:
        return [
            0.0 if self._unknown_number(u) else
            self._class_weight(u, faq) * self._importance(u) * (_W_NEGATED if query.is_negated(u.start) else 1.0)
            for u in query.units
        ]

    def _class_weight(self, u: _Unit, faq: bool) -> float:
        """Like :meth:`_Unit.weight`, but a misspelt aspect word ("tkae") counts as the aspect word
        and a modifier (``_EN_MODIFIERS``) counts little."""
        if not u.zh and u.key in _EN_MODIFIERS:
            return u.weight(faq) * _W_MODIFIER
        if not u.zh and not u.aspect and u.key not in self._stems.idf:
            fuzzy = self._fuzzy_stem(u)
            if fuzzy and fuzzy[0] in _EN_ASPECT_STEMS:
                return _W_ASPECT_FAQ if faq else _W_ASPECT
        return u.weight(faq)

    def _unknown_number(self, u: _Unit) -> bool:
        """Numbers count only when the content knows them (e.g. a hotline number)."""
        return not u.zh and u.key.isdigit() and u.key not in self._stems.idf

    def _score_services(self, query: _Query) -> tuple[dict[int, float], set[int]]:
        weights = self._weights(query, faq=False)
        total = sum(weights)
        coverage: dict[int, float] = {}
        for u, w in zip(query.units, weights):
            for d, m in self._unit_matches(u).items():
                coverage[d] = coverage.get(d, 0.0) + w * m
        # A family alias counts for a sibling only if the rest of the text speaks for the sibling
        # more than for the alias's owner ("护照" alone stays passport_application).
        margin = _FAMILY_EVIDENCE * self._idf_max
        query.matches = [
            m for m in query.matches
            if not m[0].via or coverage.get(m[0].service, 0.0) >= max(coverage.get(o, 0.0) for o in m[0].via) + margin
        ]
        strength: dict[int, float] = {}
        negated: set[int] = set()
        for a, s, _ in query.matches:
            if query.is_negated(s):
                negated.add(a.service)
            elif a.strength > strength.get(a.service, 0.0):
                strength[a.service] = a.strength
        penalised = negated - set(strength)
        scores = {}
        for d in set(coverage) | set(strength):
            c = self._coverage(coverage.get(d, 0.0), total) ** _COVERAGE_POWER
            score = 1 - (1 - strength.get(d, 0.0)) * (1 - _COVERAGE_GAIN * c)
            scores[d] = score * (_NEGATED_PENALTY if d in penalised else 1.0)
        return scores, penalised

    def _service_hits(self, query: _Query, scores: dict[int, float], lang: str) -> list[Hit]:
        best_alias: dict[int, tuple[float, int, str]] = {}
        for a, s, e in query.matches:
            if not query.is_negated(s):
                cand = (a.strength, e - s, a.text)
                if cand[:2] > best_alias.get(a.service, (0.0, 0, ""))[:2]:
                    best_alias[a.service] = cand
        hits = []
        for d, score in scores.items():
            s = self._services[d]
            name = _bi(s.get("name"), "zh" if lang.startswith("zh") else "en") or s["id"]
            matched = best_alias[d][2] if d in best_alias else name
            hits.append(Hit("service", s["id"], s["id"], round(min(score, 1.0), 4), matched))
        return hits

    def _faq_hits(self, query: _Query, penalised: set[int]) -> list[Hit]:
        weights = self._weights(query, faq=True)
        active = [(u, w) for u, w in zip(query.units, weights) if w > 0]
        if not active or not self._variants:
            return []
        plain = [u for u, _ in active if not query.is_negated(u.start)]
        q_words = {u.key for u in plain}
        q_bigrams = {b for u in plain for b in u.bigrams}
        q_chars = {c for u in plain for c in u.chars}
        candidates: set[int] = set()
        for key in q_words | q_bigrams:
            candidates |= self._variant_postings.get(key, set())
        q_total = sum(w for _, w in active)
        best: dict[int, tuple[float, str]] = {}
        for vi in candidates:
            v = self._variants[vi]
            cq = self._coverage(sum(w * self._match_in(u, v.words, v.bigrams, v.chars) for u, w in active), q_total)
            cv = self._variant_coverage(v, q_words, q_bigrams, q_chars)
            sim = cq * cv
            if sim > best.get(v.faq, (0.0, ""))[0]:
                best[v.faq] = (sim, v.text)
        hits = []
        for fi, (sim, text) in best.items():
            f = self._faqs[fi]
            service = f.get("service") or None
            if self._service_index.get(service or "", -1) in penalised:
                sim *= _NEGATED_PENALTY
            hits.append(Hit("faq", f["id"], service, round(min(sim, 1.0), 4), text))
        return hits

    def _variant_coverage(self, v: _Variant, words, bigrams, chars) -> float:
        got = sum(w * self._match_in(u, words, bigrams, chars) for u, w in zip(v.units, v.weights))
        return self._coverage(got, sum(v.weights))


# ---------------------------------------------------------------- database-backed cache

_CACHE_LOCK = threading.Lock()
_CACHE: dict[int, tuple[Any, Any, Searcher]] = {}


def get_searcher(session_factory, version: int | None = None) -> Searcher:
    """A searcher over the database content, rebuilt when ``repository.content_version`` changes
    (``version``: the content version the caller already knows, saving a query)."""
    from knowledge_base import repository

    cached = _CACHE.get(id(session_factory))
    if version is not None and cached and cached[0] is session_factory and cached[1] == version:
        return cached[2]
    with session_factory() as session:
        version = repository.content_version(session)
        if cached and cached[0] is session_factory and cached[1] == version:
            return cached[2]
        services = [_record(s) for s in repository.list_services(session)]
        faqs = [_record(f) for f in repository.list_faqs(session)]
    searcher = Searcher.from_records(services, faqs)
    with _CACHE_LOCK:
        _CACHE[id(session_factory)] = (session_factory, version, searcher)
    return searcher


def clear_searcher_cache() -> None:
    """Forget all cached searchers (tests, content reloads)."""
    with _CACHE_LOCK:
        _CACHE.clear()

"""Chinese CELL_TYPE grammar: the modifiers in front of a cell head (rule set ``cell.v1``).

The Chinese counterpart of the English modifier grammar in :mod:`annotkit.annotate.rules`.
A head is ``细胞``/``细胞系``/``细胞株`` (which needs a modifier: a bare 细胞 is nothing), or a
complete cell name (``血小板``, ``神经元``, a lexicon name such as ``巨核细胞``), whose modifiers
are optional. Scanning right to left from the head, the span takes contiguous units:

* lineage, stage and type words (间充质, 造血, 原始, 幼稚, 巨核, 网织, 淋巴, 髓系 …);
* tissue and organ of origin (骨髓, 脐带, 外周血, 外周, 脂肪, 肝, 乳腺 …), with a linker after
  them (来源的, 源性, 衍生的, 的: ``骨髓来源的间充质干细胞``);
* species and age of the source (人, 小鼠, 大鼠, 胎儿, 新生儿, 成人);
* tumour words for tumour cells and cell lines (肝癌, 骨肉瘤, 白血病, 肿瘤);
* Latin codes: markers and cell-line codes (``CD34+``, ``CD4+CD25+``, ``K562``, ``HepG2``),
  with a polarity after them (``CD34阳性``).

Anything else ends the span, which is how donor relation (自体, 同种异体), processing
(培养的, 扩增的) and transient states (活化的, 凋亡的) stay outside, as the guidelines want.
``外周血小板`` is 外周 + 血小板; ``人`` counts only where it is not the end of a word such as
病人 or 老人.

Drug, product and protein names that contain a cell word are not cell types
(:func:`zh_bad_context`): a dosage form or a factor after the cell word (``升血小板胶囊``,
``粒细胞集落刺激因子``, ``白细胞介素``), a drug action before it (``抗血小板``, ``升血小板``,
``促红细胞生成素``), a disease after it (``血小板减少症``).

EXAMPLE:
    >>> text = "患者外周血小板减少"
    >>> start = zh_cell_start(text, text.index("血小板"), required=False)
    >>> text[start : text.index("血小板") + 3]
    '外周血小板'
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["ZH_CELL_HEAD", "zh_bad_context", "zh_cell_start"]

# simplified -> traditional for the characters of the grammar words below
_TRAD = str.maketrans(
    "间干质细单纤维软内经脐盘树状红杀伤调节辅记忆环卫岛胶韧带来浆体诱导华顿肤减贫无评数问碱万终个"
    "齿幼熟网织杆异龄儿岁头脑肾肠胃乳腺结鸡马猪犬猴鱼鼠兽颗粒药剂糖肿层样阳阴达视颈鼻咽膜长团"
    "丝纲脏骨",
    "間幹質細單纖維軟內經臍盤樹狀紅殺傷調節輔記憶環衛島膠韌帶來漿體誘導華頓膚減貧無評數問鹼萬終個"
    "齒幼熟網織桿異齡兒歲頭腦腎腸胃乳腺結雞馬豬犬猴魚鼠獸顆粒藥劑糖腫層樣陽陰達視頸鼻咽膜長團"
    "絲綱髒骨",
)


def _both(words: str) -> list[str]:
    """Words plus their traditional-script forms."""
    return sorted({w for word in words.split() for w in (word, word.translate(_TRAD))})


#: tissue, organ and body-fluid words: origin of the cells; a linker (来源的) may follow them
_TISSUES = _both(
    "骨髓 脐带 脐血 脐带血 脂肪 胎盘 羊膜 羊水 滑膜 牙髓 外周血 外周 华通胶 沃顿胶 肌肉 皮肤 经血 "
    "月经血 尿液 子宫内膜 牙周膜 牙周 脐静脉 骨 肝 肺 肾 心 胰 脑 肠 胃 乳腺 前列腺 卵巢 宫颈 结肠 "
    "直肠 食管 甲状腺 膀胱 鼻咽 口腔 视网膜 角膜 脊髓 血 全血 骨骼肌 关节软骨 椎间盘 胸腺 脾 脾脏 "
    "扁桃体 淋巴结 胚胎 胎儿 羊膜上皮"
)
#: lineage, stage and type words (the English "mesenchymal", "hematopoietic", "immature" …)
_LINEAGE = _both(
    "诱导多能 间充质 多能 全能 单能 干 基质 祖 前体 "
    "单个核 单核 有核 无核 造血 成纤维 软骨 成骨 破骨 "
    "内皮 上皮 神经 成体 树突状 巨噬 淋巴 红 白 粒 中性粒 嗜酸性粒 嗜碱性粒 肥大 浆 自然杀伤 杀伤 "
    "调节性 辅助性 记忆 免疫 髓核 纤维环 肌 卫星 施万 雪旺 胰岛 表皮 角质形成 间质 血管 周 脊索 "
    "软骨终板 成肌 心肌 胶质 星形胶质 少突胶质 小胶质 生殖 肌腱 韧带 神经嵴 内皮祖 毛囊 真皮 "
    "原始 幼稚 早幼 中幼 晚幼 成熟 未成熟 巨核 "
    "网织 杆状核 分叶核 异型 髓系 淋巴系 红系 粒系 单核系 "
    "巨核系 髓样 上皮样 间充质样 神经元样 支持 颗粒 滋养层 精原 毛 体 血 效应 初始 细胞毒性 "
    "胚胎 胎儿"
)
#: species and age of the source
_SPECIES = _both("人 人源 人源性 小鼠 大鼠 鼠 猪 兔 犬 猴 羊 牛 马 鸡 斑马鱼 新生儿 成人 成年 幼年")
#: tumour words: 肝癌细胞, 骨肉瘤细胞, 白血病K562细胞
_TUMOUR = _both("癌 肉瘤 瘤 白血病 淋巴瘤 骨髓瘤 黑色素瘤 胶质瘤 肿瘤 癌症")
#: linkers after a tissue word: 骨髓来源的, 脂肪源性, 胎盘衍生的
_LINKERS = _both("来源的 来源 源性 源 衍生的 衍生 的")
#: polarity after a marker code: CD34阳性
_POLARITY = _both("阳性 阴性 高表达 低表达")

_KIND: dict[str, str] = {}
for _kind, _words in (
    ("lineage", _LINEAGE),
    ("tissue", _TISSUES),
    ("species", _SPECIES),
    ("tumour", _TUMOUR),
    ("linker", _LINKERS),
    ("polarity", _POLARITY),
):
    for _w in _words:
        _KIND.setdefault(_w, _kind)  # a word in two lists keeps the first kind
_UNITS_REV = re.compile(
    "|".join(re.escape(w[::-1]) for w in sorted(_KIND, key=lambda w: (-len(w), w)))
)
# a marker or cell-line code right before (CD34+, CD4+CD25+, K562, HepG2, T, NK)
_CODE_BEFORE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[+\-−⁺⁻][A-Za-z0-9]*)*[+\-−⁺⁻]?[ \t]?$"
)
# a Han character right before 人 that makes a word of it (病人, 老人, 个人): not a species
_REN_TAKEN = frozenset(
    "病老个個男女家他她本工商亲親众眾世诸諸友夫主客敌敵恋戀艺藝证證猎獵旅路族国國爱愛患丈私军軍罪"
)
# donor words before a unit whose last character they share (自体 + 体细胞 is no 体细胞)
_DONOR_BEFORE = frozenset("自异異")

#: heads: 细胞 and its cell-line forms (need a modifier) and complete cell names
ZH_CELL_HEAD = re.compile(
    "|".join(
        sorted(_both("细胞系 细胞株 细胞 血小板 神经元 红血球 白血球"), key=lambda w: (-len(w), w))
    )
)
_NEEDS_MODIFIER = frozenset(_both("细胞系 细胞株 细胞"))

_BAD_AFTER = re.compile(
    "|".join(
        sorted(
            _both(
                "减少症 增多症 白血病 瘤 癌 生成素 性贫血 "
                "无力症 血浆 裂解 胶囊 颗粒 口服液 冲剂 糖浆 "
                "合剂 滴丸 丸 因子 介素 抗原 抗体 集落刺激因子 衍生生长因子 源性生长因子 生长因子"
            ),
            key=lambda w: (-len(w), w),
        )
    )
)
# 促/富/抗/升 + a cell word name a drug or product (升血小板胶囊); 升 after a number or a
# metric prefix is the unit litre (5 毫升骨髓细胞), not "raise"
_BAD_BEFORE = re.compile(r"(?:[促富抗]|(?<![毫微纳千公0-9０-９.\s])升)$")


def zh_bad_context(text: str, start: int, end: int) -> bool:
    """A cell word inside a drug, product, protein or disease name (``升血小板胶囊``)."""
    return bool(_BAD_AFTER.match(text, end) or _BAD_BEFORE.search(text, max(0, start - 1), start))


def zh_cell_start(text: str, head: int, *, required: bool, head_word: str = "") -> int | None:
    """Start of the Chinese cell span whose head starts at ``head``.

    text (str): the text.
    head (int): offset of the head (细胞, 血小板, a lexicon name).
    required (bool): the head needs a modifier (``细胞``); ``None`` when none is found.
    head_word (str): the head's text, when it is a bare ``细胞`` form (decides ``required``
        by itself when given).
    RETURNS (int | None): the span's start (``head`` when no modifier precedes).

    EXAMPLE:
        >>> t = "自体骨髓来源的间充质干细胞"
        >>> t[zh_cell_start(t, t.index("细胞"), required=True):]
        '骨髓来源的间充质干细胞'
    """
    if head_word:
        required = head_word in _NEEDS_MODIFIER
    return _scan(text, head, required)


@lru_cache(maxsize=1 << 14)
def _scan_cached(window: str, required: bool) -> int | None:
    """How many characters of ``window`` (the text before a head) belong to the span."""
    rev = window[::-1]
    units: list[tuple[int, str, str]] = []  # (length, kind, surface) from right to left
    pos = 0  # characters taken, counted from the head leftwards
    while pos < len(window):
        m = _UNITS_REV.match(rev, pos)
        if m is not None:
            word = m.group()[::-1]
            units.append((len(word), _KIND[word], word))
            pos = m.end()
            continue
        code = _CODE_BEFORE.search(window, 0, len(window) - pos)
        if code is not None and code.group().strip() and _is_code(code.group().strip()):
            units.append((len(code.group()), "code", code.group()))
            pos += len(code.group())
            continue
        break
    # drop units that cannot stand where they are (right to left: units[0] touches the head)
    keep = len(units)
    for k, (_, kind, _) in enumerate(units):
        if kind == "linker" and (
            k + 1 >= len(units) or units[k + 1][1] not in ("tissue", "species")
        ):
            keep = k  # 的 / 来源的 only after a tissue: "培养的细胞" has no modifier
            break
        if kind == "polarity" and (k + 1 >= len(units) or units[k + 1][1] != "code"):
            keep = k  # 阳性 needs its marker
            break
    units = units[:keep]
    while units:
        length, kind, word = units[-1]
        taken = sum(u[0] for u in units)
        before = window[len(window) - taken - 1] if taken < len(window) else ""
        if kind in ("linker", "polarity"):
            units.pop()  # a span never starts with 的 or 阳性
        elif word in ("人", "人源") and before in _REN_TAKEN:
            units.pop()  # 病人, 老人: the 人 belongs to the word before
        elif word in ("体", "體") and before in _DONOR_BEFORE:
            units.pop()  # 自体细胞: 体 belongs to 自体
        elif len(word) == 1 and before and before in "病个個的" and kind != "code":
            units.pop()  # 病人, 个, 的: the character belongs elsewhere
        else:
            break
    taken = sum(u[0] for u in units)
    if not taken:
        return None if required else 0
    return taken


def _is_code(code: str) -> bool:
    """A marker or cell-line code, not an English word (CD34+, K562, HepG2, T, NK, Lin−)."""
    if len(code) == 1:
        return code in "TBM"
    return (
        any(c.isdigit() for c in code) or sum(c.isupper() for c in code) >= 2 or code[-1] in "+-−⁺⁻"
    )


def _scan(text: str, head: int, required: bool) -> int | None:
    window = text[max(0, head - 24) : head]
    taken = _scan_cached(window, required)
    if taken is None:
        return None
    return head - taken

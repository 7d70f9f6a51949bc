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
* Latin codes: markers and cell-line codes (``CD34+``, ``CD4+CD25+``, ``CD4(+)T``, ``K562``,
  ``3T3-L1``), with a polarity or a target after them (``CD34阳性``, ``HER2 靶向的``);
  coordinated codes share the head (``Saos-2和MG-63细胞系``);
* before 细胞株/细胞系 only, the words of a constructed line (稳定, 单克隆, 基因敲除的).

The animals of an experiment are not the cells' source: 小鼠/大鼠 after 模型, a count (32只)
or a disease code (``ITP小鼠``; a strain such as ``SD大鼠`` is kept), and 杀伤 before tumour
cells is the verb "kill" (特异性杀伤肿瘤细胞).

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
    "丝纲脏骨"
    "动隐龈产稳过脉气纹胆关节鳞转与仓绵兰铬绒横"
    "",
    "間幹質細單纖維軟內經臍盤樹狀紅殺傷調節輔記憶環衛島膠韌帶來漿體誘導華頓膚減貧無評數問鹼萬終個"
    "齒幼熟網織桿異齡兒歲頭腦腎腸胃乳腺結雞馬豬犬猴魚鼠獸顆粒藥劑糖腫層樣陽陰達視頸鼻咽膜長團"
    "絲綱髒骨"
    "動隱齦產穩過脈氣紋膽關節鱗轉與倉綿蘭鉻絨橫"
    "",
)


def _both(words: str) -> list[str]:
    """Words plus their traditional-script forms."""
    return sorted({w for word in words.split() for w in (word, word.translate(_TRAD))})


#: tissue, organ and body-fluid words: origin of the cells; a linker (来源的) may follow them
_TISSUES = _both(
    "骨髓 脐带 脐血 脐带血 脂肪 胎盘 羊膜 羊水 滑膜 牙髓 外周血 外周 华通胶 沃顿胶 肌肉 皮肤 经血 "
    "月经血 尿液 子宫内膜 牙周膜 牙周 脐静脉 骨 肝 肺 肾 心 胰 脑 肠 胃 乳腺 前列腺 卵巢 宫颈 结肠 "
    "直肠 食管 甲状腺 膀胱 鼻咽 口腔 视网膜 角膜 脊髓 血 全血 骨骼肌 关节软骨 椎间盘 胸腺 脾 脾脏 "
    "扁桃体 淋巴结 胚胎 胎儿 羊膜上皮 "
    # anatomy of the cells' site: 小鼠胸主动脉平滑肌细胞, 螺旋神经节细胞
    "主动脉 胸主动脉 腹主动脉 动脉 冠状动脉 静脉 大隐静脉 气道 支气管 气管 肺泡 心室 心房 心脏 "
    "海马 皮层 大脑皮层 大脑 小脑 纹状体 下丘脑 耳蜗 螺旋 前庭 背根 晶状体 结膜 牙龈 舌 唾液腺 "
    "子宫 睾丸 肾小管 肾小球 肝脏 胆管 胰腺 十二指肠 小肠 黏膜 胃黏膜 关节 皮下 结直肠 喉 舌 "
    # gland and squamous (肺腺癌, 肺鳞癌: 腺 + 癌, not 乳 + 腺癌)
    "腺 鳞 肾上腺 胚 胚肾 胚肺"
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
    "胚胎 胎儿 平滑肌 神经节 "
    # megakaryocyte stages (原始, 幼稚, 颗粒型, 产板型, 裸核型) and CAR generations
    "产板 产板型 产血小板 颗粒型 裸核 裸核型 幼稚型 原始型 第一代 第二代 第三代 第四代"
)
#: species and age of the source
_SPECIES = _both(
    "人 人源 人源性 小鼠 大鼠 鼠 猪 兔 犬 猴 羊 牛 马 鸡 斑马鱼 新生儿 成人 成年 幼年 "
    "仓鼠 豚鼠 恒河猴 食蟹猴 绵羊 山羊 家兔 新西兰兔 乳鼠 胎鼠 仔鼠 裸鼠 小型猪"
)
#: tumour words: 肝癌细胞, 骨肉瘤细胞, 白血病K562细胞
_TUMOUR = _both(
    "癌 肉瘤 瘤 白血病 淋巴瘤 骨髓瘤 黑色素瘤 胶质瘤 肿瘤 癌症 间皮瘤 神经胶质瘤 "
    "母细胞瘤 神经母细胞瘤 胶质母细胞瘤 髓母细胞瘤 肝细胞癌 非小细胞肺癌 小细胞肺癌 结直肠癌 "
    "三阴性乳腺癌 急性髓系白血病 急性髓细胞白血病 急性淋巴细胞白血病 急性早幼粒细胞白血病 "
    "慢性粒细胞白血病 慢性髓系白血病 慢性淋巴细胞白血病 嗜铬细胞瘤 胆管癌 横纹肌肉瘤 平滑肌肉瘤 "
    "纤维肉瘤 脂肪肉瘤 尤文肉瘤 星形细胞瘤 室管膜瘤 脑膜瘤 神经鞘瘤 胰岛素瘤 胸腺瘤 绒毛膜癌 "
    "畸胎癌 肾母细胞瘤 骨巨细胞瘤 肝母细胞瘤"
)
#: words of a constructed cell line, before 细胞株/细胞系 only (U2OS 稳定细胞株, 单克隆细胞株)
_LINE = _both("单克隆 多克隆 稳定 稳定表达 敲除 基因敲除 敲低 过表达 稳转")
#: a target or specificity after a marker code (HER2 靶向的 …, CD19特异性 …)
_TARGET = _both("靶向的 靶向 特异性的 特异性")
#: a conjunction between two coordinated codes (Saos-2和MG-63细胞系)
_CONJ = _both("和 及 与 、")
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
    ("line", _LINE),
    ("target", _TARGET),
    ("conj", _CONJ),
):
    for _w in _words:
        _KIND.setdefault(_w, _kind)  # a word in two lists keeps the first kind
_UNITS_REV = re.compile(
    "|".join(re.escape(w[::-1]) for w in sorted(_KIND, key=lambda w: (-len(w), w)))
)
# a marker or cell-line code right before (CD34+, CD4+CD25+, K562, HepG2, T, NK)
# (CD4(+)T: a polarity in brackets; 3T3-L1: a code may start with a digit)
_CODE_BEFORE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*"
    r"(?:(?:[+\-−⁺⁻]|\([+\-−]\))[A-Za-z0-9]*)*|[αβγδ]{1,2})[ \t]?$"  # β细胞, γδT细胞
)
# the animals of the experiment, not the source of the cells: 模型小鼠, ITP小鼠, 32只大鼠
_MODEL_BEFORE = re.compile(
    r"(?:模型|造模|荷瘤|[0-9０-９一二两三四五六七八九十百]\s?只|[A-Z]{2,}\d?[ \t]?)$"
)
_MODEL_SPECIES = frozenset(_both("小鼠 大鼠 鼠 裸鼠"))
#: strain codes before 小鼠/大鼠 (the source animal's strain, unlike a disease code: ITP小鼠)
_STRAINS = frozenset("SD KM ICR C57BL C57 BALB NOD SCID NSG NZW NZB DBA FVB CBA SHR WKY".split())
_KILL = frozenset(_both("杀伤"))
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
                "合剂 滴丸 丸 因子 介素 抗原 抗体 集落刺激因子 衍生生长因子 源性生长因子 生长因子 "
                "减灭术 减灭"
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
    return _scan(text, head, required, head_word in _LINE_HEADS)


_LINE_HEADS = frozenset(_both("细胞系 细胞株"))


@lru_cache(maxsize=1 << 14)
def _scan_cached(
    window: str, required: bool, line: bool = False, head_tumour: bool = False
) -> int | None:
    """How many characters of ``window`` (the text before a head) belong to the span;
    ``line``: the head is 细胞系/细胞株, which also takes a constructed line's words;
    ``head_tumour``: the head starts with a tumour word (肿瘤细胞)."""
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
    for k, (_, kind, unit_word) in enumerate(units):
        if kind == "linker" and (
            k + 1 >= len(units) or units[k + 1][1] not in ("tissue", "species", "line")
        ):
            keep = k  # 的 / 来源的 only after a tissue: "培养的细胞" has no modifier
            break
        if kind in ("polarity", "target") and (k + 1 >= len(units) or units[k + 1][1] != "code"):
            keep = k  # 阳性 and 靶向的 need their marker
            break
        if kind == "conj" and not (
            k > 0 and units[k - 1][1] == "code" and k + 1 < len(units) and units[k + 1][1] == "code"
        ):
            keep = k  # 和 only between two codes: Saos-2和MG-63细胞系
            break
        if kind == "line" and not line:
            keep = k  # 稳定, 单克隆 only before 细胞株/细胞系
            break
        if unit_word in _KILL and (head_tumour or any(u[1] == "tumour" for u in units[:k])):
            keep = k  # 杀伤肿瘤细胞: "kill", not the killer-cell lineage
            break
    units = units[:keep]
    while units:
        length, kind, word = units[-1]
        taken = sum(u[0] for u in units)
        before = window[len(window) - taken - 1] if taken < len(window) else ""
        if kind in ("linker", "polarity", "target", "conj"):
            units.pop()  # a span never starts with 的, 阳性, 靶向的 or 和
        elif word in _MODEL_SPECIES and _MODEL_BEFORE.search(window, 0, len(window) - taken):
            units.pop()  # 模型小鼠, 32只大鼠: the animals of the experiment
        elif (
            kind == "code"
            and len(units) > 1
            and units[-2][2] in _MODEL_SPECIES
            and word.strip().split("/")[0] not in _STRAINS
        ):
            del units[-2:]  # ITP小鼠: a disease model, not the cells' source
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
    """A marker or cell-line code, not an English word (CD34+, K562, HepG2, T, NK, Lin−);
    one that starts with a digit needs a capital (3T3-L1, not 5ml)."""
    if code in ("α", "β", "γ", "δ", "γδ"):
        return True
    if len(code) == 1:
        return code in "TBM"
    if code[0].isdigit():
        return any(c.isupper() for c in code)
    return (
        any(c.isdigit() for c in code) or sum(c.isupper() for c in code) >= 2 or code[-1] in "+-−⁺⁻"
    )


_TUMOUR_NEAR = re.compile("[癌瘤]|肿瘤|腫瘤")


def _scan(text: str, head: int, required: bool, line: bool = False) -> int | None:
    window = text[max(0, head - 24) : head]
    # a lexicon head such as 肿瘤细胞 or 肝癌细胞 names tumour cells itself
    head_tumour = bool(_TUMOUR_NEAR.search(text, head, head + 4))
    taken = _scan_cached(window, required, line, head_tumour)
    if taken is None:
        return None
    return head - taken

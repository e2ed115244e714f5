"""Name pools: provinces, place-name syllables with their pinyin, departments, and the report columns' names.

Place names are two syllables from `SYLLABLES` plus a suffix (县, 区, 市, 镇, 乡, 街道), and hosts are their pinyin,
as real portals are (`www.anping.gov.cn`); departments carry the pinyin initials real subdomains and directory
slugs use (`jyj` for 教育局).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    name: str
    code: str  # the two-digit division-code prefix
    abbr: str  # pinyin abbreviation used in provincial hosts
    families: tuple[str, ...]  # the CMS families common there, most common first


# The families follow where each CMS is really common: gkmlpt is Guangdong's, the TRS 动静结合 lists are Fujian's,
# Hanweb dominates Zhejiang, Jiangsu and Shandong; VSB and generic sites are spread everywhere.
PROVINCES = (
    Province("辽宁省", "21", "ln", ("trs_static", "generic")),
    Province("浙江省", "33", "zj", ("hanweb", "trs_static")),
    Province("广东省", "44", "gd", ("gkmlpt",)),
    Province("福建省", "35", "fj", ("trs_dynamic", "trs_static")),
    Province("云南省", "53", "yn", ("vsb", "trs_static", "generic")),
    Province("陕西省", "61", "sn", ("generic", "trs_static")),
    Province("湖北省", "42", "hb", ("trs_static", "hanweb")),
    Province("江苏省", "32", "js", ("hanweb", "trs_static")),
    Province("贵州省", "52", "gz", ("trs_static", "generic")),
    Province("甘肃省", "62", "gs", ("vsb", "generic")),
    Province("山东省", "37", "sd", ("hanweb", "generic")),
    Province("四川省", "51", "sc", ("trs_static", "vsb")),
)

SYLLABLES = (
    ("安", "an"), ("平", "ping"), ("宁", "ning"), ("江", "jiang"), ("山", "shan"), ("阳", "yang"), ("城", "cheng"),
    ("河", "he"), ("源", "yuan"), ("清", "qing"), ("丰", "feng"), ("泰", "tai"), ("新", "xin"), ("兴", "xing"),
    ("华", "hua"), ("永", "yong"), ("昌", "chang"), ("德", "de"), ("武", "wu"), ("文", "wen"), ("龙", "long"),
    ("云", "yun"), ("东", "dong"), ("西", "xi"), ("南", "nan"), ("临", "lin"), ("长", "chang"), ("金", "jin"),
    ("石", "shi"), ("白", "bai"), ("黄", "huang"), ("桃", "tao"), ("柳", "liu"), ("松", "song"), ("林", "lin"),
    ("溪", "xi"), ("湖", "hu"), ("泉", "quan"), ("峰", "feng"), ("岭", "ling"), ("川", "chuan"), ("田", "tian"),
    ("宝", "bao"), ("富", "fu"), ("庆", "qing"), ("远", "yuan"), ("乐", "le"), ("广", "guang"), ("怀", "huai"),
    ("嘉", "jia"), ("崇", "chong"), ("仁", "ren"), ("义", "yi"), ("靖", "jing"), ("凤", "feng"), ("鹤", "he"),
    ("鹿", "lu"), ("水", "shui"), ("桥", "qiao"), ("沙", "sha"), ("海", "hai"), ("岩", "yan"), ("洪", "hong"),
    ("秀", "xiu"), ("瑞", "rui"), ("吉", "ji"), ("通", "tong"), ("高", "gao"), ("合", "he"), ("沅", "yuan"),
    ("梅", "mei"), ("竹", "zhu"), ("芦", "lu"), ("乌", "wu"), ("康", "kang"), ("福", "fu"), ("建", "jian"),
)

# (name, pinyin initials): the departments a county has; the first ones exist everywhere.
DEPARTMENTS = (
    ("发展和改革局", "fgj"), ("教育局", "jyj"), ("公安局", "gaj"), ("民政局", "mzj"), ("司法局", "sfj"),
    ("财政局", "czj"), ("人力资源和社会保障局", "rsj"), ("自然资源局", "zrzyj"), ("住房和城乡建设局", "zjj"),
    ("交通运输局", "jtysj"), ("水利局", "slj"), ("农业农村局", "nyncj"), ("商务局", "swj"),
    ("文化广电旅游局", "wgljj"), ("卫生健康局", "wjj"), ("退役军人事务局", "tyjrswj"), ("应急管理局", "yjglj"),
    ("审计局", "sjj"), ("市场监督管理局", "scjgj"), ("统计局", "tjj"), ("医疗保障局", "ybj"), ("林业局", "lyj"),
    ("行政审批服务局", "xzspfwj"), ("政务服务和大数据管理局", "zwfwj"), ("城市管理局", "cgj"),
    ("乡村振兴局", "xczxj"), ("科学技术局", "kjj"), ("工业和信息化局", "gxj"), ("生态环境分局", "sthjfj"),
    ("档案馆", "dag"),
)
PROVINCE_DEPARTMENTS = (
    ("发展和改革委员会", "fgw"), ("教育厅", "jyt"), ("公安厅", "gat"), ("民政厅", "mzt"), ("司法厅", "sft"),
    ("财政厅", "czt"), ("人力资源和社会保障厅", "rst"), ("自然资源厅", "zrzyt"), ("住房和城乡建设厅", "zjt"),
    ("交通运输厅", "jtyst"), ("水利厅", "slt"), ("农业农村厅", "nynct"), ("商务厅", "swt"), ("卫生健康委员会", "wjw"),
    ("审计厅", "sjt"), ("统计局", "tjj"),
)
TOWNSHIP_SUFFIXES = ("镇", "乡", "街道")

# The report column: (title, path segment) pairs seen on real portals (domain.md §5).
REPORT_COLUMNS = (
    ("政府信息公开年报", "zfxxgknb"), ("政府信息公开年度报告", "zfxxgkndbg"),
    ("政府信息公开工作年度报告", "zfxxgkgzndbg"),
    ("信息公开年报", "xxgknb"), ("政府信息公开年度报告专栏", "xxgknbgs"), ("年度报告", "ndbg"),
    ("信息公开年报", "gknb"),
)
# Where the 政务公开 section sits.
OPENNESS_ROOTS = (("政务公开", "zwgk"), ("信息公开", "xxgk"), ("政府信息公开", "zfxxgk"))

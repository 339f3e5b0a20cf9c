"""Realistic Chinese and English companies, people, addresses and phone numbers from small
built-in word lists (no faker): every value is drawn from a `random.Random` the caller seeds,
so the same seed gives the same company.

Chinese names come with their pinyin, so e-mail addresses and web sites look like the ones
Chinese companies use (`wei.li@hzxinyuan.com.cn`). Numbers follow each country's format:
Chinese landlines with the city's area code, mobiles with real carrier prefixes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Pair = tuple[str, str]  # (hanzi, pinyin)


@dataclass(frozen=True)
class City:
    name: str  # as written in an address
    latin: str
    abbr: str  # how Chinese domains abbreviate the city: hz for Hangzhou
    province: str  # "" for municipalities and cities abroad
    area_code: str  # without the trunk 0
    postal_prefix: str
    districts: tuple[Pair, ...]
    branch: str
    country: str = "CN"
    state: str = ""  # abroad: state or county abbreviation


def _pairs(text: str) -> tuple[Pair, ...]:
    """`鑫:xin 华:hua` -> (("鑫", "xin"), ("华", "hua"))."""
    return tuple((h, p.replace("_", " ")) for h, _, p in (w.partition(":") for w in text.split()))


def _words(text: str) -> tuple[str, ...]:
    """One word per `|`-separated item, blanks around them dropped."""
    return tuple(w.strip() for w in text.split("|") if w.strip())


def _cities(text: str) -> tuple[City, ...]:
    """One line per city: name latin abbr province area postal-prefix branch district:latin ..."""
    cities = []
    for line in text.strip().splitlines():
        name, latin, abbr, province, area, postal, branch, *districts = line.split()
        province = "" if province == "-" else province
        places = _pairs(" ".join(districts))
        cities.append(City(name, latin, abbr, province, area, postal, places, branch))
    return tuple(cities)


# North branch: the north and north-east; south branch: the east and south coast.
CN_CITIES: Final = _cities("""
北京 Beijing bj - 10 1000 north 朝阳区:Chaoyang 海淀区:Haidian 东城区:Dongcheng 丰台区:Fengtai
天津 Tianjin tj - 22 3000 north 和平区:Heping 南开区:Nankai 河西区:Hexi
沈阳 Shenyang sy 辽宁省 24 1100 north 和平区:Heping 沈河区:Shenhe 皇姑区:Huanggu
大连 Dalian dl 辽宁省 411 1160 north 中山区:Zhongshan 西岗区:Xigang 沙河口区:Shahekou
济南 Jinan jn 山东省 531 2500 north 历下区:Lixia 市中区:Shizhong 槐荫区:Huaiyin
青岛 Qingdao qd 山东省 532 2660 north 市南区:Shinan 市北区:Shibei 崂山区:Laoshan
石家庄 Shijiazhuang sjz 河北省 311 0500 north 长安区:Chang'an 桥西区:Qiaoxi 新华区:Xinhua
哈尔滨 Harbin hrb 黑龙江省 451 1500 north 南岗区:Nangang 道里区:Daoli 香坊区:Xiangfang
太原 Taiyuan ty 山西省 351 0300 north 小店区:Xiaodian 迎泽区:Yingze
郑州 Zhengzhou zz 河南省 371 4500 north 金水区:Jinshui 二七区:Erqi 中原区:Zhongyuan
上海 Shanghai sh - 21 2000 south 浦东新区:Pudong 徐汇区:Xuhui 静安区:Jing'an 闵行区:Minhang
杭州 Hangzhou hz 浙江省 571 3100 south 西湖区:Xihu 拱墅区:Gongshu 滨江区:Binjiang 上城区:Shangcheng
广州 Guangzhou gz 广东省 20 5100 south 天河区:Tianhe 越秀区:Yuexiu 海珠区:Haizhu 白云区:Baiyun
深圳 Shenzhen sz 广东省 755 5180 south 南山区:Nanshan 福田区:Futian 罗湖区:Luohu 宝安区:Bao'an
东莞 Dongguan dg 广东省 769 5230 south 南城街道:Nancheng 东城街道:Dongcheng 松山湖:Songshanhu
佛山 Foshan fs 广东省 757 5280 south 禅城区:Chancheng 南海区:Nanhai 顺德区:Shunde
厦门 Xiamen xm 福建省 592 3610 south 思明区:Siming 湖里区:Huli
福州 Fuzhou fz 福建省 591 3500 south 鼓楼区:Gulou 台江区:Taijiang
长沙 Changsha cs 湖南省 731 4100 south 岳麓区:Yuelu 芙蓉区:Furong 天心区:Tianxin
南宁 Nanning nn 广西壮族自治区 771 5300 south 青秀区:Qingxiu 兴宁区:Xingning
""")
CN_STREETS: Final = _pairs("""
人民路:Renmin_Road 中山路:Zhongshan_Road 解放路:Jiefang_Road 建设路:Jianshe_Road
文化路:Wenhua_Road 和平路:Heping_Road 长江路:Changjiang_Road 黄河路:Huanghe_Road
新华路:Xinhua_Road 科技路:Keji_Road 工业大道:Gongye_Avenue 滨河路:Binhe_Road
学院路:Xueyuan_Road 世纪大道:Shiji_Avenue 创业路:Chuangye_Road 东风路:Dongfeng_Road
青年路:Qingnian_Road 振兴路:Zhenxing_Road 高新路:Gaoxin_Road 金融街:Jinrong_Street
商贸路:Shangmao_Road 港湾大道:Gangwan_Avenue 光明路:Guangming_Road 胜利路:Shengli_Road
""")
CN_BUILDINGS: Final = _words(
    "创业大厦|国际商务中心|科技园|金融中心|商务大厦|工业园|发展大厦|时代广场"
)

# Company brands: two syllables, each an auspicious character with its pinyin.
BRAND_FIRST: Final = _pairs("""
鑫:xin 华:hua 恒:heng 瑞:rui 宏:hong 金:jin 博:bo 天:tian 中:zhong 海:hai 嘉:jia 永:yong
卓:zhuo 泰:tai 联:lian 盛:sheng 远:yuan 东:dong 德:de 正:zheng 宇:yu 安:an 益:yi 通:tong
兴:xing 明:ming 凯:kai 佳:jia 国:guo 百:bai
""")
BRAND_SECOND: Final = _pairs("""
源:yuan 创:chuang 信:xin 达:da 图:tu 泰:tai 成:cheng 纳:na 禾:he 锐:rui 越:yue 航:hang
方:fang 诚:cheng 隆:long 丰:feng 辉:hui 鼎:ding 利:li 润:run 邦:bang 智:zhi 康:kang 晟:sheng
祥:xiang 腾:teng 茂:mao 峰:feng 星:xing 光:guang
""")


@dataclass(frozen=True)
class Industry:
    key: str  # the customer's `industry`
    zh: tuple[str, ...]  # words in a Chinese company name
    en: tuple[str, ...]  # words in an English company name
    weight: int  # how common among the demo company's customers


def _industries(text: str) -> tuple[Industry, ...]:
    """One line per industry: key weight | Chinese words | English words."""
    found = []
    for line in text.strip().splitlines():
        head, zh, en = line.split("|")
        key, weight = head.split()
        found.append(Industry(key, tuple(zh.split()), _words(en.replace(",", "|")), int(weight)))
    return tuple(found)


INDUSTRIES: Final = _industries("""
manufacturing 22 | 机械 精密制造 电子 汽车零部件 包装 | Manufacturing, Precision Parts, Packaging
wholesale 16 | 贸易 商贸 进出口 | Trading, Distribution, Imports
retail 10 | 百货 超市 连锁商业 | Retail, Stores, Markets
logistics 14 | 物流 供应链 仓储 | Logistics, Freight, Supply Chain
software 8 | 软件 信息技术 网络科技 | Software, Systems, Digital
healthcare 6 | 医药 医疗器械 | Medical, Pharma, Health
food 7 | 食品 饮料 | Foods, Beverages, Fresh Produce
construction 5 | 建设 建材 | Builders, Construction, Building Supplies
energy 4 | 能源 新能源 电力设备 | Energy, Power, Solar
chemicals 3 | 化工 新材料 | Chemicals, Materials
education 2 | 教育科技 培训 | Learning, Education
hospitality 3 | 酒店管理 餐饮管理 | Hospitality, Hotels
""")

CATEGORIES: Final = ("end customer", "distributor", "reseller", "partner")
CATEGORY_WEIGHTS: Final = (60, 18, 14, 8)

CN_SUFFIXES: Final = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")

CN_SURNAMES: Final = _pairs("""
王:Wang 李:Li 张:Zhang 刘:Liu 陈:Chen 杨:Yang 黄:Huang 赵:Zhao 吴:Wu 周:Zhou 徐:Xu 孙:Sun
马:Ma 朱:Zhu 胡:Hu 郭:Guo 何:He 林:Lin 高:Gao 罗:Luo 郑:Zheng 梁:Liang 谢:Xie 宋:Song
唐:Tang 许:Xu 韩:Han 冯:Feng 邓:Deng 曹:Cao
""")
CN_GIVEN: Final = _pairs("""
伟:Wei 芳:Fang 娜:Na 敏:Min 静:Jing 丽:Li 强:Qiang 磊:Lei 军:Jun 洋:Yang 勇:Yong 艳:Yan
杰:Jie 涛:Tao 明:Ming 超:Chao 秀英:Xiuying 婷:Ting 华:Hua 建国:Jianguo 晓东:Xiaodong
海燕:Haiyan 志强:Zhiqiang 丹:Dan 鹏:Peng 晨:Chen 欣怡:Xinyi 子涵:Zihan 浩然:Haoran
雪梅:Xuemei 俊杰:Junjie 佳琪:Jiaqi
""")
CN_TITLES: Final = _words(
    "总经理|采购经理|财务总监|技术总监|运营经理|行政主管|IT经理|仓储经理|物流总监"
)


@dataclass(frozen=True)
class Abroad:
    city: City
    streets: tuple[str, ...]
    tld: str
    suffixes: tuple[str, ...]


def _abroad(text: str) -> tuple[Abroad, ...]:
    """One line per city: name|branch|country|state|dialling code|postal prefix|tld|
    suffixes (comma-separated)|streets (comma-separated)."""
    found = []
    for line in text.strip().splitlines():
        name, branch, country, state, area, postal, tld, suffixes, streets = line.split("|")
        city = City(name, name, "", "", area, postal, (), branch, country, state)
        found.append(
            Abroad(city, _words(streets.replace(",", "|")), tld, _words(suffixes.replace(",", "|")))
        )
    return tuple(found)


ABROAD: Final = _abroad("""
San Francisco|south|US|CA|1 415|941|com|Inc.,LLC|Market Street,Mission Street,Pine Street
Seattle|north|US|WA|1 206|981|com|Inc.,LLC|Pike Street,Union Street,Elliott Avenue
Chicago|north|US|IL|1 312|606|com|Inc.,Corp.|Wacker Drive,LaSalle Street,Michigan Avenue
London|north|GB||44 20|EC|co.uk|Ltd,plc|King Street,High Street,Queen Victoria Street,Old Street
Manchester|north|GB||44 161|M|co.uk|Ltd|Deansgate,Portland Street,Oxford Road
Singapore|south|SG||65|0|com.sg|Pte. Ltd.|Orchard Road,Robinson Road,Shenton Way,Cecil Street
Sydney|south|AU|NSW|61 2|2000|com.au|Pty Ltd|George Street,Pitt Street,Kent Street
Melbourne|south|AU|VIC|61 3|3000|com.au|Pty Ltd|Collins Street,Bourke Street,Flinders Lane
""")
EN_BRANDS: Final = _words("""
Northwind|Bluewater|Silverline|Redwood|Harbor|Summit|Pioneer|Evergreen|Keystone|Lakeside|
Brightstone|Ironbridge|Crescent|Oakridge|Westfield|Granite|Riverside|Clearview|Highland|
Meridian|Atlas|Beacon|Cedar|Falcon|Horizon|Maple|Orchid|Sterling|Trident|Vertex|Copperleaf|
Blackwood|Seabright|Kingsgate|Fairview|Northstar|Redhill|Ashford
""")
EN_FIRST: Final = _words("""
James|Mary|John|Patricia|Robert|Jennifer|Michael|Linda|David|Elizabeth|William|Susan|Richard|
Jessica|Thomas|Sarah|Daniel|Emily|Matthew|Olivia|Andrew|Sophie|Oliver|Charlotte|George|Amelia|
Henry|Grace|Lucas|Chloe|Ethan|Hannah
""")
EN_LAST: Final = _words("""
Smith|Johnson|Williams|Brown|Jones|Miller|Davis|Wilson|Taylor|Clark|Lewis|Walker|Hall|Allen|
Young|King|Wright|Scott|Green|Baker|Adams|Nelson|Carter|Mitchell|Roberts|Turner|Phillips|
Campbell|Parker|Evans|Hughes|Morgan
""")
EN_TITLES: Final = _words("""
General Manager|Purchasing Manager|CFO|CTO|Operations Manager|Warehouse Manager|IT Manager|
Head of Procurement|Supply Chain Director
""")
# Mobile prefixes of the three Chinese carriers.
CN_MOBILE: Final = _words(
    "130|131|132|135|136|137|138|139|150|151|152|155|156|158|159|177|180|181|182|185|186|187|188|189"
)


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    phone: str
    email: str


@dataclass(frozen=True)
class Company:
    name: str
    locale: str  # "zh" or "en"
    city: City
    industry: str
    category: str
    phone: str
    fax: str
    email: str
    postal_code: str
    address: str
    website: str
    domain: str
    short: str  # what people call it ("鑫源贸易", "Northwind Logistics")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _cn_landline(rng: random.Random, city: City) -> tuple[str, str]:
    """(phone, fax) in the city: 8-digit local numbers; the fax is the next line."""
    first = str(rng.randint(5, 8))
    local = first + _digits(rng, 6) + str(rng.randint(0, 8))
    fax = local[:-1] + str(int(local[-1]) + 1)
    return _cn_format(city, local), _cn_format(city, fax)


def _cn_format(city: City, local: str) -> str:
    return f"+86 {city.area_code} {local[:4]} {local[4:]}"


def cn_mobile(rng: random.Random) -> str:
    number = rng.choice(CN_MOBILE) + _digits(rng, 8)
    return f"+86 {number[:3]} {number[3:7]} {number[7:]}"


def _abroad_phone(rng: random.Random, city: City) -> tuple[str, str]:
    if city.country in ("US",):
        local = str(rng.randint(2, 9)) + _digits(rng, 2) + _digits(rng, 3) + str(rng.randint(0, 8))
        number = f"{local[:3]} {local[3:]}"
    elif city.country == "GB":
        local = str(rng.randint(3, 8)) + _digits(rng, 6) + str(rng.randint(0, 8))
        number = f"{local[:4]} {local[4:]}"
    elif city.country == "SG":
        local = "6" + _digits(rng, 6) + str(rng.randint(0, 8))
        number = f"{local[:4]} {local[4:]}"
    else:  # AU
        local = "9" + _digits(rng, 6) + str(rng.randint(0, 8))
        number = f"{local[:4]} {local[4:]}"
    fax = number[:-1] + str(int(number[-1]) + 1)
    return f"+{city.area_code} {number}", f"+{city.area_code} {fax}"


def _abroad_address(rng: random.Random, place: Abroad) -> tuple[str, str]:
    """(address, postal code) in the country's own order."""
    city = place.city
    street = f"{rng.randint(1, 480)} {rng.choice(place.streets)}"
    if city.country == "US":
        code = city.postal_prefix + f"{rng.randint(1, 99):02d}"
        suite = (
            f", Suite {rng.randint(1, 30) * 100 + rng.randint(0, 20)}" if rng.random() < 0.5 else ""
        )
        return f"{street}{suite}, {city.name}, {city.state} {code}", code
    if city.country == "GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        district = f"{city.postal_prefix}{rng.randint(1, 4)}"
        if city.name == "London":
            district += rng.choice("AMNRVY")
        code = f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        return f"{street}, {city.name} {code}, United Kingdom", code
    if city.country == "SG":
        code = f"0{rng.randint(48, 69)}{rng.randint(0, 999):03d}"
        return (
            f"{street}, #{rng.randint(2, 40):02d}-{rng.randint(1, 12):02d}, Singapore {code}",
            code,
        )
    code = city.postal_prefix
    return f"Level {rng.randint(2, 30)}, {street}, {city.name} {city.state} {code}, Australia", code


class Names:
    """Draws companies and people; remembers what it gave so nothing repeats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._taken: set[str] = set()
        self._phones: set[str] = set()

    def _unique_phone(self, make: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        """A (phone, fax) pair nobody else has: duplicate detection compares phones."""
        for _ in range(50):
            phone, fax = make()
            if phone not in self._phones and fax not in self._phones:
                self._phones.update((phone, fax))
                return phone, fax
        raise RuntimeError("ran out of phone numbers")

    def _industry(self) -> Industry:
        return self.rng.choices(INDUSTRIES, weights=[i.weight for i in INDUSTRIES])[0]

    def company(self, *, branch: str, locale: str) -> Company:
        for _ in range(200):
            made = self._chinese(branch) if locale == "zh" else self._english(branch)
            if made.name not in self._taken and made.domain not in self._taken:
                self._taken.update((made.name, made.domain))
                return made
        raise RuntimeError("ran out of company names: add words to crm_local.seed.names")

    def _chinese(self, branch: str) -> Company:
        rng = self.rng
        city = rng.choice([c for c in CN_CITIES if c.branch == branch])
        industry = self._industry()
        first, second = rng.choice(BRAND_FIRST), rng.choice(BRAND_SECOND)
        brand, brand_py = first[0] + second[0], first[1] + second[1]
        trade = rng.choice(industry.zh)
        suffix = rng.choice(CN_SUFFIXES)
        name = f"{city.name}{brand}{trade}{suffix}"
        district, _ = rng.choice(city.districts)
        street, _ = rng.choice(CN_STREETS)
        number = rng.randint(1, 388)
        place = f"{street}{number}号"
        if rng.random() < 0.55:
            room = f"{rng.randint(2, 28)}{rng.randint(1, 20):02d}"
            place += f"{rng.choice(CN_BUILDINGS)}{rng.choice('ABCD')}座{room}室"
        city_part = f"{city.name}市" if not city.province else f"{city.province}{city.name}市"
        postal = city.postal_prefix + f"{rng.randint(0, 60):02d}"
        phone, fax = self._unique_phone(lambda: _cn_landline(rng, city))
        domain = f"{city.abbr}{brand_py}.com.cn"
        return Company(
            name=name,
            locale="zh",
            city=city,
            industry=industry.key,
            category=rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0],
            phone=phone,
            fax=fax,
            email=f"{rng.choice(('info', 'sales', 'service', 'contact'))}@{domain}",
            postal_code=postal,
            address=f"{city_part}{district}{place}",
            website=f"https://www.{domain}",
            domain=domain,
            short=f"{brand}{trade}",
        )

    def _english(self, branch: str) -> Company:
        rng = self.rng
        place = rng.choice([a for a in ABROAD if a.city.branch == branch])
        industry = self._industry()
        brand = rng.choice(EN_BRANDS)
        if rng.random() < 0.25:
            brand = f"{rng.choice(EN_LAST)} & {rng.choice(EN_LAST)}"
        trade = rng.choice(industry.en)
        short = f"{brand} {trade}"
        name = f"{short} {rng.choice(place.suffixes)}"
        address, postal = _abroad_address(rng, place)
        phone, fax = self._unique_phone(lambda: _abroad_phone(rng, place.city))
        slug = "".join(ch for ch in short.lower() if ch.isalnum())
        domain = f"{slug}.{place.tld}"
        return Company(
            name=name,
            locale="en",
            city=place.city,
            industry=industry.key,
            category=rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0],
            phone=phone,
            fax=fax,
            email=f"{rng.choice(('info', 'sales', 'hello', 'office'))}@{domain}",
            postal_code=postal,
            address=address,
            website=f"https://www.{domain}",
            domain=domain,
            short=short,
        )

    def person(self, company: Company, *, used: set[str] | None = None) -> Person:
        """Somebody who works at `company`, with a work e-mail on its domain."""
        rng = self.rng
        for _ in range(50):
            if company.locale == "zh":
                (surname, surname_py), (given, given_py) = (
                    rng.choice(CN_SURNAMES),
                    rng.choice(CN_GIVEN),
                )
                name = surname + given
                email = f"{given_py.lower()}.{surname_py.lower()}@{company.domain}"
                title = rng.choice(CN_TITLES)
            else:
                first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
                name = f"{first} {last}"
                email = f"{first.lower()}.{last.lower()}@{company.domain}"
                title = rng.choice(EN_TITLES)
            if used is None or name not in used:
                break
        phone = cn_mobile(rng) if company.locale == "zh" else _abroad_phone(rng, company.city)[0]
        return Person(name=name, title=title, phone=phone, email=email)


def staff_name(rng: random.Random) -> tuple[str, str]:
    """(Chinese name, its pinyin as "Given Surname") for the demo company's own people."""
    (surname, surname_py), (given, given_py) = rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN)
    return surname + given, f"{given_py} {surname_py}"

"""The demo dealer's reference lists: departments, operators, sale and labour types, clocking and idle codes,
territories and segments, the CRM's vocabularies, and the names of customers and people in many scripts.

Codes are text; several keep leading zeros on purpose. A code's position in its list is the integer the
generator draws (``_ST_WARRANTY`` is the index of sale type "08"), so the order of every list is part of
the data: reordering one changes the generated files.
"""

from __future__ import annotations

import numpy as np

DEPARTMENTS = {"P": "Parts counter", "W": "Workshop", "B": "Bodyshop"}
_P, _W, _B = 0, 1, 2

OPERATORS = {  # POS operators (parts salesmen / service advisors)
    "AJB": "Counter", "CMK": "Counter", "DLP": "Counter", "EHS": "Counter",
    "GRT": "Counter", "JWN": "Counter", "KAT": "Workshop", "LMO": "Workshop",
    "NPR": "Workshop", "OSV": "Workshop", "RTY": "Bodyshop", "SUZ": "Bodyshop",
}
_OPS = list(OPERATORS)
_OPS_PER_BRANCH = len(_OPS)  # every branch has an operator of each role (its operator j is b * 12 + j)
_COUNTER_OPS = np.arange(0, 6)
_COUNTER_OP_P = np.array([0.24, 0.2, 0.18, 0.15, 0.13, 0.10])
_W_OPS = np.arange(6, 10)
_B_OPS = np.arange(10, 12)

SALE_TYPES = {
    "01": "Counter retail", "02": "Counter trade", "03": "Wholesale", "04": "Online",
    "05": "Export", "06": "Staff", "07": "Workshop retail", "08": "Warranty",
    "09": "Internal", "10": "Fleet contract", "11": "Insurance repair", "12": "Bodyshop retail",
}
_ST = list(SALE_TYPES)
(_ST_RETAIL, _ST_TRADE, _ST_WHOLESALE, _ST_ONLINE, _ST_EXPORT, _ST_STAFF, _ST_WSHOP,
 _ST_WARRANTY, _ST_INTERNAL, _ST_FLEET, _ST_INSURANCE, _ST_BODY) = range(12)

LABOUR_TYPES = {  # code: (description, standard rate per hour, mean allowed hours)
    "SVC": ("Service", 118.0, 1.6),
    "REP": ("Mechanical repair", 126.0, 1.8),
    "MOT": ("MOT test", 54.85, 1.0),
    "DIA": ("Diagnosis", 135.0, 1.0),
    "WAR": ("Warranty", 84.0, 1.7),  # the manufacturer's warranty rate: well below the retail rates
    "INT": ("Internal", 65.0, 1.3),
    "BDY": ("Body repair", 96.0, 2.6),
    "PNT": ("Paint", 96.0, 2.3),
    "SUB": ("Sublet", 0.0, 1.0),
}
_LT = list(LABOUR_TYPES)
_LT_SVC, _LT_REP, _LT_MOT, _LT_DIA, _LT_WAR, _LT_INT, _LT_BDY, _LT_PNT, _LT_SUB = range(9)
_LT_RATE = np.array([v[1] for v in LABOUR_TYPES.values()])
_LT_HOURS = np.array([v[2] for v in LABOUR_TYPES.values()])

_TASKS = {  # clocking description of a job clocking, per labour type
    "SVC": ["Annual service", "Interim service", "Oil and filter change", "Major service"],
    "REP": ["Replace front brake pads", "Replace clutch", "Replace timing belt", "Exhaust repair",
            "Suspension: replace shock absorbers"],
    "MOT": ["MOT test", "MOT retest"],
    "DIA": ["Diagnose warning light", "Electrical fault finding", "Diagnose noise"],
    "WAR": ["Warranty: replace injector", "Warranty: software update", "Warranty: water leak"],
    "INT": ["Used vehicle preparation", "PDI new vehicle", "Demonstrator valet"],
    "BDY": ["Panel repair", "Replace front bumper", "Remove and refit trims"],
    "PNT": ["Paint rear bumper", "Blend and lacquer", "Paint preparation"],
    "SUB": ["Sublet"],
}
_TASK_TEXT = [t for v in _TASKS.values() for t in v]
_TASK_START = np.cumsum([0] + [len(v) for v in _TASKS.values()])[:-1]
_TASK_COUNT = np.array([len(v) for v in _TASKS.values()])

IDLE_CODES = {  # code: (description, productive)
    "TRN": ("Training", True),
    "CLN": ("Workshop housekeeping", True),
    "MTG": ("Team meeting", True),
    "RDT": ("Road test / customer handover", True),
    "WFP": ("Waiting for parts", False),
    "NOW": ("Waiting for work", False),
    "RWK": ("Rework (unpaid)", False),
}
_IDLE = list(IDLE_CODES)
_IDLE_PROD = np.array([i for i, v in enumerate(IDLE_CODES.values()) if v[1]])
_IDLE_NONPROD = np.array([i for i, v in enumerate(IDLE_CODES.values()) if not v[1]])
_DESCRIPTIONS = _TASK_TEXT + [v[0] for v in IDLE_CODES.values()]
REASONS = {  # reason codes given when clocking off
    "COMP": "Job complete",
    "WPRT": "Waiting for parts & materials",
    "WAUT": "Awaiting customer's authorisation",
    "EOD": "End of day",
}
_REASONS = list(REASONS)

PAY_TYPES = {"customer": "Customer pay", "warranty": "Warranty (manufacturer pays)", "internal": "Internal"}
_PAY = list(PAY_TYPES)
_PT_CUSTOMER, _PT_WARRANTY, _PT_INTERNAL = range(3)
_PT_EMPTY_P = 0.03  # share of customer documents and jobs whose pay type was left empty (counts as customer)

_TERRITORIES = ["North", "South", "East", "West", "Central", "Export"]
_KINDS = ["retail", "trade", "fleet", "insurance", "public", "agriculture"]
_K_RETAIL, _K_TRADE, _K_FLEET, _K_INSURANCE, _K_PUBLIC, _K_AGRI = range(6)
_SEGMENTS = ["Retail", "Trade", "Fleet", "Insurance", "Public sector", "Agriculture"]
_CHANNELS = ["Walk-in", "Web", "Phone", "Referral", "Trade show", "Social media"]
_KIND_P = [0.55, 0.15, 0.14, 0.04, 0.06, 0.06]
# Preference of each use for each kind of account (retail, trade, fleet, insurance, public, agri)
_USE_KIND = {
    "counter": np.array([0.5, 3.0, 0.4, 0.05, 0.3, 0.6]),
    "workshop": np.array([1.0, 0.15, 1.6, 0.0, 0.9, 0.8]),
    "bodyshop": np.array([1.0, 0.1, 1.2, 0.0, 0.6, 0.3]),
    "insurance": np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    "crm": np.array([1.0, 1.0, 1.5, 0.5, 1.0, 1.0]),
}
_MODELS = ["Hilux", "Ranger", "Transit Custom", "Sprinter", "Actros", "Golf", "Corolla",
           "Qashqai", "Model Y", "Fendt 724", "JCB 3CX", "Defender", "Kuga", "Vivaro"]
_ACTIVITY_TYPES = ["call", "visit", "email", "demo", "meeting"]
_ACTIVITY_MINUTES = {"call": (5, 35), "visit": (30, 150), "email": (5, 20), "demo": (45, 120),
                     "meeting": (30, 90)}
_ISSUE_CATEGORIES = ["Parts delay", "Billing", "Workmanship", "Warranty", "Communication",
                     "Vehicle damage"]
_SEVERITIES = ["low", "medium", "high", "critical"]
_STAGES = ["qualified", "proposal", "negotiation", "won", "lost"]
_PO_STATES = ["ordered", "confirmed", "back order", "part received", "awaiting invoice"]
_PO_TYPES = ["stock", "VOR", "sublet"]
_SUBLETS = ["SUB-GLASS", "SUB-TYRES", "SUB-ALIGN", "SUB-AIRCON", "SUB-VALET", "SUB-MACHINING"]
_MOVES = ["invoiced", "returned", "requisitioned", "reversed", "received"]
_MV_INV, _MV_RET, _MV_REQ, _MV_REV, _MV_REC = range(5)

MARKUP_NAME = 'Smith & Sons <Ltd> "quoted"'

#: The branches of a group (town, region), in code order; past the list the towns come round again numbered.
_BRANCH_TOWNS = [
    ("Leeds", "North"), ("York", "North"), ("Harrogate", "North"), ("Sheffield", "North"),
    ("Hull", "North"), ("Lincoln", "Midlands"), ("Nottingham", "Midlands"), ("Derby", "Midlands"),
    ("Leicester", "Midlands"), ("Coventry", "Midlands"), ("Worcester", "Midlands"), ("Gloucester", "South West"),
    ("Bristol", "South West"), ("Bath", "South West"), ("Exeter", "South West"), ("Plymouth", "South West"),
    ("Cardiff", "Wales"), ("Swansea", "Wales"), ("Wrexham", "Wales"), ("Chester", "North West"),
    ("Preston", "North West"), ("Lancaster", "North West"), ("Carlisle", "North West"),
    ("Newcastle upon Tyne", "North East"), ("Durham", "North East"), ("Edinburgh", "Scotland"),
    ("Glasgow", "Scotland"), ("Aberdeen", "Scotland"), ("Dundee", "Scotland"), ("Inverness", "Scotland"),
    ("Norwich", "East"), ("Ipswich", "East"), ("Cambridge", "East"), ("Colchester", "East"),
]
#: The branch name with markup characters (pages must escape it): branch "02", or "01" when it is alone.
BRANCH_MARKUP_NAME = 'York <b>Clifton</b> & "Moor"'
_ODD_NAMES = [MARKUP_NAME, "O'Brien, Kelly & Co.", "Café 🚗 Dépannage", "Ω-Tech <b>bold</b> & <i>co</i>"]

_NAME_STYLES = [  # (weight, surnames, templates, places)
    (30, ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
          "Wright", "Walker", "Thompson", "Evans", "Roberts", "Green", "Hall", "Wood", "Clarke",
          "Hughes", "Edwards", "O'Neill", "MacLeod", "Okafor", "Kaur"],
     ["{n} Motors", "{n} & Sons Ltd", "{n} Haulage Ltd", "{n} Fleet Services", "{n} Plant Hire",
      "{n} Farms", "{n} Garage", "{n} Autos", "{n} Logistics plc", "{n} Taxis", "J. {n}", "A. {n}"],
     ["Leeds", "York", "Bristol", "Derby", "Hull", "Bath", "Leicester", "Norwich", "Exeter",
      "Carlisle", "Dundee", "Cardiff"]),
    (6, ["Lefèvre", "Gauthier", "Bénard", "Mercier", "Dubois", "Rousseau", "Fontaine", "Chevalier",
         "Lemaître", "Girard"],
     ["Garage {n} SARL", "Transports {n} & Fils", "Carrosserie {n}", "Établissements {n}"],
     ["Besançon", "Orléans", "Nîmes", "Angoulême", "Clermont-Ferrand", "Périgueux"]),
    (6, ["Müller", "Schäfer", "Weiß", "Groß", "Köhler", "Bäcker", "Jäger", "Krüger", "Schröder", "Böhm"],
     ["Autohaus {n} GmbH", "{n} Transporte GmbH & Co. KG", "Kfz-Werkstatt {n}", "Landtechnik {n}"],
     ["München", "Nürnberg", "Köln", "Düsseldorf", "Lübeck", "Göttingen"]),
    (5, ["Peña", "Muñoz", "Fernández", "Gonçalves", "Conceição", "Ibáñez", "Núñez", "Álvarez"],
     ["Talleres {n} S.L.", "Transportes {n} S.A.", "Oficina {n} Lda.", "Auto Peças {n}"],
     ["Córdoba", "Málaga", "León", "Évora", "Guimarães", "Cádiz"]),
    (5, ["Łukasiewicz", "Żółkiewski", "Wiśniewski", "Dvořák", "Šťastný", "Novák", "Kowalczyk",
         "Čapek", "Růžička", "Pająk"],
     ["Warsztat {n} sp. z o.o.", "Autoservis {n} s.r.o.", "Przewozy {n}", "Doprava {n} a.s."],
     ["Łódź", "Kraków", "Gdańsk", "Brno", "Plzeň", "České Budějovice"]),
    (5, ["Ångström", "Øvergård", "Sørensen", "Çelik", "Yılmaz", "Öztürk", "Kovács", "Szűcs",
         "Țurcanu", "Nguyễn"],
     ["{n} Bil AB", "{n} Maskin A/S", "{n} Otomotiv Ltd. Şti.", "{n} Autószerviz Kft.",
      "Service Auto {n} S.R.L.", "Gara ô tô {n}"],
     ["Göteborg", "Århus", "Tromsø", "İzmir", "Győr", "Brașov", "Đà Nẵng"]),
    (6, ["Παπαδόπουλος", "Νικολάου", "Γεωργίου", "Οικονόμου", "Καραγιάννης", "Βασιλείου",
         "Αθανασίου", "Δημητρίου"],
     ["Συνεργείο {n}", "{n} Α.Ε.", "Ανταλλακτικά {n} Ο.Ε.", "Μεταφορές {n}"],
     ["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο", "Λάρισα"]),
    (8, ["Иванов", "Петренко", "Смирнова", "Кузнецов", "Шевченко", "Попов", "Волков", "Ковальчук",
         "Георгиев", "Јовановић"],
     ["ООО «Автосервис {n}»", "ИП {n}", "Автомастерская {n}", "ТОВ «{n} Авто»", "{n} ЕООД",
      "Транспорт {n} д.о.о."],
     ["Москва", "Київ", "Санкт-Петербург", "Львів", "София", "Београд"]),
    (6, ["الأحمد", "الحسيني", "المنصوري", "القحطاني", "العتيبي", "الزهراني", "الشمري", "الخطيب"],
     ["مؤسسة {n} للسيارات", "ورشة {n}", "شركة {n} التجارية", "{n} لقطع الغيار"],
     ["الرياض", "دبي", "عمّان", "القاهرة", "الدوحة"]),
    (3, ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם"],
     ["מוסך {n}", '{n} בע"מ', "{n} הובלות"],
     ["תל אביב", "חיפה", "ירושלים", "באר שבע"]),
    (5, ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"],
     ["{n}氏汽车维修有限公司", "{n}记汽配行", "{n}家物流有限公司"],
     ["上海", "广州", "深圳", "成都", "台北", "香港"]),
    (5, ["山田", "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "中村"],
     ["株式会社{n}自動車", "{n}モータース", "{n}運輸株式会社", "有限会社{n}整備"],
     ["東京", "大阪", "名古屋", "札幌", "福岡"]),
    (4, ["김", "이", "박", "최", "정", "강", "조", "윤"],
     ["{n}자동차정비", "(주){n}모터스", "{n}물류"],
     ["서울", "부산", "인천", "대구"]),
    (2, ["สมชาย", "ศรีสุข", "วงศ์ใหญ่", "บุญมา"],
     ["อู่{n}การช่าง", "บริษัท {n} ขนส่ง จำกัด"],
     ["กรุงเทพ", "เชียงใหม่", "ภูเก็ต"]),
    (3, ["शर्मा", "वर्मा", "गुप्ता", "सिंह", "पटेल"],
     ["{n} ऑटो वर्क्स", "{n} मोटर्स", "{n} ट्रांसपोर्ट"],
     ["दिल्ली", "मुंबई", "पुणे", "जयपुर"]),
]

_FIRST_NAMES = ["Alice", "Bilal", "Chloé", "Dmitri", "Emma", "Felipe", "Grace", "Hannah", "Ivan",
                "José", "Kenji", "Lena", "Marek", "Nadia", "Oliver", "Priya", "Quentin", "Rosa",
                "Søren", "Tomás", "Ursula", "Viktor", "Wei", "Xavier", "Yusuf", "Zoë", "Aoife",
                "Björn", "Carlos", "Dilek", "Eamon", "Fatima", "Giorgos", "Hiroshi", "Ines",
                "Jamal", "Kasia", "Luis", "Mei", "Nikolai", "Olga", "Pavel", "Rahul", "Sanna",
                "Tariq", "Uma", "Vera", "Wojciech", "Yara", "Zdeněk"]
_LAST_NAMES = ["Martin", "Haddad", "Dubois", "Volkov", "O'Connor", "Ortega", "Kim", "Schmidt",
               "Novak", "García", "Tanaka", "Fischer", "Kowalski", "Rahman", "Hughes", "Sharma",
               "Lambert", "Rossi", "Jensen", "Silva", "Becker", "Popescu", "Zhang", "Moreau",
               "Demir", "Andersson", "Murphy", "Nyström", "Mendes", "Aydın", "Byrne", "Khalil",
               "Papadakis", "Suzuki", "Costa", "Boateng", "Wójcik", "Herrera", "Chen", "Sokolov",
               "Ivanova", "Dvořák", "Mehta", "Lindqvist", "Farouk", "Nair", "Horvat", "Mazur",
               "Saleh", "Procházka"]

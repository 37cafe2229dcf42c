"""The fictional network the demo seeds: regions, agencies, services, holidays, names."""

from __future__ import annotations

from datetime import date

from .models.vocab import ServiceCategory as C

REGIONS = (
    ("MA-06", "الدار البيضاء - سطات", "Casablanca-Settat", "Casablanca-Settat"),
    ("MA-04", "الرباط - سلا - القنيطرة", "Rabat-Salé-Kénitra", "Rabat-Sale-Kenitra"),
    ("MA-07", "مراكش - آسفي", "Marrakech-Safi", "Marrakech-Safi"),
    ("MA-03", "فاس - مكناس", "Fès-Meknès", "Fez-Meknes"),
    ("MA-01", "طنجة - تطوان - الحسيمة", "Tanger-Tétouan-Al Hoceïma", "Tangier-Tetouan-Al Hoceima"),
)

# code, region, name_ar, name_fr, name_en, categories offered
ASSOCIATIONS = (
    ("AMAL", "MA-06", "جمعية الأمل لمناهضة العنف ضد النساء", "Association Al Amal contre la violence faite aux femmes",
     "Al Amal Association against violence against women", (C.PSYCHOSOCIAL, C.LEGAL)),
    ("NOUR", "MA-06", "جمعية نور للإنصات والتوجيه", "Association Nour d'écoute et d'orientation",
     "Nour Listening and Guidance Association", (C.PSYCHOSOCIAL,)),
    ("TADAMON", "MA-04", "جمعية التضامن النسائي", "Association Solidarité féminine",
     "Women's Solidarity Association", (C.SHELTER, C.ECONOMIC)),
    ("HOQOUQ", "MA-04", "مركز حقوق النساء للمساعدة القانونية", "Centre Hoqouq d'aide juridique aux femmes",
     "Hoqouq Women's Legal Aid Centre", (C.LEGAL,)),
    ("YASMINE", "MA-07", "جمعية ياسمين للدعم النفسي", "Association Yasmine de soutien psychologique",
     "Yasmine Psychological Support Association", (C.PSYCHOSOCIAL,)),
    ("AMANE", "MA-07", "جمعية أمان للتمكين الاقتصادي", "Association Amane pour l'autonomisation économique",
     "Amane Economic Empowerment Association", (C.ECONOMIC,)),
    ("SAADA", "MA-03", "جمعية السعادة للتكفل بالنساء", "Association Saada de prise en charge des femmes",
     "Saada Women's Support Association", (C.PSYCHOSOCIAL, C.LEGAL)),
    ("RAHMA", "MA-01", "جمعية رحمة للإيواء والمرافقة", "Association Rahma d'hébergement et d'accompagnement",
     "Rahma Shelter and Accompaniment Association", (C.SHELTER, C.PSYCHOSOCIAL)),
)

# code, region, sector, name_ar, name_fr, name_en, categories, open 24/7
PUBLIC_SERVICES = (
    ("PARQUET-CASA", "MA-06", "justice", "النيابة العامة لدى المحكمة الابتدائية بالدار البيضاء",
     "Ministère public près le tribunal de première instance de Casablanca",
     "Public prosecution, Casablanca court of first instance", (C.PROSECUTION,), False),
    ("POLICE-CASA", "MA-06", "security", "خلية التكفل بالنساء ضحايا العنف - الأمن الوطني بالدار البيضاء",
     "Cellule de prise en charge des femmes victimes de violence - Sûreté nationale, Casablanca",
     "Women victims unit - National police, Casablanca", (C.POLICE_PROTECTION,), True),
    ("GENDARMERIE-MARRAKECH", "MA-07", "security", "الدرك الملكي - سرية مراكش",
     "Gendarmerie royale - compagnie de Marrakech", "Royal gendarmerie - Marrakech company",
     (C.POLICE_PROTECTION,), True),
    ("UIPFEV-CASA", "MA-06", "health",
     "الوحدة المندمجة للتكفل بالنساء والأطفال ضحايا العنف - المركز الاستشفائي ابن رشد",
     "Unité intégrée de prise en charge des femmes et enfants victimes de violence - CHU Ibn Rochd",
     "Integrated unit for women and children victims of violence - Ibn Rochd hospital",
     (C.MEDICAL, C.POST_RAPE_CARE), True),
    ("HEBERGEMENT-RABAT", "MA-04", "social", "مركز إيواء النساء في وضعية صعبة بالرباط",
     "Centre d'hébergement des femmes en situation difficile, Rabat", "Women's shelter, Rabat",
     (C.SHELTER,), True),
    ("ENTRAIDE-FES", "MA-03", "social", "التعاون الوطني - المندوبية الجهوية بفاس",
     "Entraide nationale - délégation régionale de Fès", "National mutual aid - Fez regional office",
     (C.SOCIAL,), False),
    ("ANAPEC-RABAT", "MA-04", "employment", "الوكالة الوطنية لإنعاش التشغيل والكفاءات - الرباط",
     "Agence nationale de promotion de l'emploi et des compétences - Rabat",
     "National employment and skills agency - Rabat", (C.ECONOMIC,), False),
)

SERVICE_NAMES = {
    C.PSYCHOSOCIAL: ("الإنصات والدعم النفسي والاجتماعي", "Écoute et soutien psychosocial",
                     "Listening and psychosocial support"),
    C.LEGAL: ("الاستشارة والمساعدة القانونية", "Conseil et aide juridique", "Legal advice and aid"),
    C.SHELTER: ("الإيواء المؤقت", "Hébergement temporaire", "Temporary shelter"),
    C.ECONOMIC: ("التمكين الاقتصادي: الشغل والتكوين والمقاولة",
                 "Autonomisation économique : emploi, formation, entrepreneuriat",
                 "Economic empowerment: jobs, training, business"),
    C.PROSECUTION: ("تلقي الشكايات وتحريك الدعوى العمومية", "Réception des plaintes et action publique",
                    "Complaints and prosecution"),
    C.POLICE_PROTECTION: ("الحماية والتدخل الأمني", "Protection et intervention", "Protection and intervention"),
    C.MEDICAL: ("الفحص والعلاج الطبي والشهادة الطبية", "Examen, soins et certificat médical",
                "Medical examination, care and certificate"),
    C.POST_RAPE_CARE: ("التكفل الطبي المستعجل بعد الاغتصاب", "Prise en charge médicale urgente après un viol",
                       "Urgent post-rape medical care"),
    C.SOCIAL: ("المساعدة الاجتماعية", "Assistance sociale", "Social assistance"),
}

# Fixed-date national holidays of Morocco (religious holidays move each year and are set by admins).
HOLIDAYS = (
    ((1, 1), "رأس السنة الميلادية"), ((1, 11), "ذكرى تقديم وثيقة الاستقلال"), ((1, 14), "رأس السنة الأمازيغية"),
    ((5, 1), "عيد الشغل"), ((7, 30), "عيد العرش"), ((8, 14), "ذكرى استرجاع وادي الذهب"),
    ((8, 20), "ذكرى ثورة الملك والشعب"), ((8, 21), "عيد الشباب"), ((10, 31), "عيد الوحدة"),
    ((11, 6), "ذكرى المسيرة الخضراء"), ((11, 18), "عيد الاستقلال"),
)


def holiday_dates(years: tuple[int, ...]) -> list[tuple[date, str]]:
    return [(date(y, m, d), name) for y in years for (m, d), name in HOLIDAYS]


# Fictional names only. Arabic and Latin spellings, as files are opened in both.
ARABIC_FIRST = ("فاطمة", "خديجة", "أمينة", "مريم", "سعاد", "نادية", "حنان", "ليلى", "زينب", "سلمى", "هند", "إيمان",
                "رشيدة", "نعيمة", "سكينة", "وفاء", "حياة", "كريمة", "لطيفة", "ياسمين")
ARABIC_LAST = ("العلوي", "بنعلي", "الإدريسي", "التازي", "الفاسي", "بناني", "المرابط", "الحسني", "الشرقاوي",
               "الزياني", "العمراني", "البقالي", "الصديقي", "الكتاني", "بوعزة", "الوزاني")
LATIN_FIRST = ("Fatima", "Khadija", "Amina", "Meryem", "Souad", "Nadia", "Hanane", "Leila", "Zineb", "Salma",
               "Hind", "Imane", "Rachida", "Naima", "Sanae", "Ghizlane", "Houda", "Loubna")
LATIN_LAST = ("Alaoui", "Benali", "El Idrissi", "Tazi", "El Fassi", "Bennani", "Mrabet", "Hassani", "Cherkaoui",
              "Ziani", "Amrani", "Bakkali", "Seddiki", "Kettani", "Bouazza", "Ouazzani")
CITIES = ("الدار البيضاء", "الرباط", "مراكش", "فاس", "طنجة", "Casablanca", "Rabat", "Marrakech", "Fès", "Tanger")
NARRATIVES = (
    "تعرضت للضرب من طرف الزوج بعد خلاف حول المصروف. تخشى العودة إلى البيت.",
    "تهديدات متكررة عبر الهاتف والرسائل من الخطيب السابق.",
    "حرمان من الموارد ومنع من العمل من طرف الزوج منذ سنتين.",
    "Violences physiques répétées du conjoint ; elle a quitté le domicile avec ses deux enfants.",
    "Harcèlement en ligne et diffusion de photos sans consentement par un ancien partenaire.",
    "Agression dans l'espace public par un inconnu ; plainte non encore déposée.",
    "Pressions de la famille pour un mariage forcé ; elle demande à être hébergée.",
)

# The awareness library's first pages: slug, language, topic, title, summary, Markdown body.
LIBRARY = (
    ("know-your-rights", "ar", "rights", "حقوقك إذا تعرضت للعنف",
     "ما يمكنك فعله، ومن يمكنه مساعدتك، دون أن تكوني وحدك.",
     "## لست وحدك\n\nالعنف ليس خطأك. يمكنك طلب المساعدة في أي وقت، ولو بعد مدة طويلة.\n\n"
     "## ما يمكنك فعله\n\n* الاتصال بخط الإنصات أو بجمعية قريبة منك: الإنصات والمرافقة مجانيان.\n"
     "* طلب شهادة طبية من المستشفى: هي دليل مهم إن أردت تقديم شكاية.\n"
     "* تقديم شكاية لدى الشرطة أو الدرك أو النيابة العامة. توجد خلايا للتكفل بالنساء ضحايا العنف "
     "في المحاكم والمستشفيات ومصالح الشرطة والدرك.\n"
     "* طلب تدابير الحماية، مثل منع المعتدي من الاتصال بك أو الاقتراب منك.\n\n"
     "## إن كنت في خطر الآن\n\nاتصلي بالشرطة (19) أو الدرك (177)."),
    ("vos-droits", "fr", "rights", "Vos droits face à la violence",
     "Ce que vous pouvez faire, et qui peut vous aider, sans rester seule.",
     "## Vous n'êtes pas seule\n\nLa violence n'est pas votre faute. Vous pouvez demander de l'aide à tout "
     "moment, même longtemps après.\n\n## Ce que vous pouvez faire\n\n"
     "* Appeler une ligne d'écoute ou une association proche de chez vous : l'écoute et "
     "l'accompagnement sont gratuits.\n"
     "* Demander un certificat médical à l'hôpital : c'est une preuve importante si vous portez plainte.\n"
     "* Porter plainte auprès de la police, de la gendarmerie ou du parquet. Des cellules de prise en "
     "charge des femmes victimes de violence existent dans les tribunaux, les hôpitaux, la police et "
     "la gendarmerie.\n"
     "* Demander des mesures de protection, comme l'interdiction pour l'agresseur de vous contacter ou "
     "de s'approcher de vous.\n\n## En danger maintenant\n\nAppelez la police (19) ou la gendarmerie (177)."),
    ("your-rights", "en", "rights", "Your rights if you face violence",
     "What you can do, and who can help you, so that you are not alone.",
     "## You are not alone\n\nViolence is not your fault. You can ask for help at any time, even long "
     "after.\n\n## What you can do\n\n"
     "* Call a listening line or an association near you: listening and support are free.\n"
     "* Ask a hospital for a medical certificate: it is important evidence if you file a complaint.\n"
     "* File a complaint with the police, the gendarmerie or the public prosecutor. Units for women "
     "victims of violence work in the courts, hospitals, police and gendarmerie.\n"
     "* Ask for protection measures, such as forbidding the aggressor to contact or approach you.\n\n"
     "## In danger now\n\nCall the police (19) or the gendarmerie (177)."),
)

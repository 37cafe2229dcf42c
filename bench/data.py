"""Vocabulary of the generated network and files. Fictional: no real person or case."""

from __future__ import annotations

from referral import demo_data
from referral.demo_data import CITIES  # noqa: F401

# The twelve regions of Morocco: (code, name_ar, name_fr, name_en, weight of the files opened there).
REGIONS = (
    ("MA-01", "طنجة - تطوان - الحسيمة", "Tanger-Tétouan-Al Hoceïma", "Tangier-Tetouan-Al Hoceima", 10),
    ("MA-02", "الشرق", "L'Oriental", "Oriental", 7),
    ("MA-03", "فاس - مكناس", "Fès-Meknès", "Fez-Meknes", 12),
    ("MA-04", "الرباط - سلا - القنيطرة", "Rabat-Salé-Kénitra", "Rabat-Sale-Kenitra", 14),
    ("MA-05", "بني ملال - خنيفرة", "Béni Mellal-Khénifra", "Beni Mellal-Khenifra", 7),
    ("MA-06", "الدار البيضاء - سطات", "Casablanca-Settat", "Casablanca-Settat", 20),
    ("MA-07", "مراكش - آسفي", "Marrakech-Safi", "Marrakech-Safi", 13),
    ("MA-08", "درعة - تافيلالت", "Drâa-Tafilalet", "Draa-Tafilalet", 5),
    ("MA-09", "سوس - ماسة", "Souss-Massa", "Souss-Massa", 8),
    ("MA-10", "كلميم - واد نون", "Guelmim-Oued Noun", "Guelmim-Oued Noun", 2),
    ("MA-11", "العيون - الساقية الحمراء", "Laâyoune-Sakia El Hamra", "Laayoune-Sakia El Hamra", 1),
    ("MA-12", "الداخلة - وادي الذهب", "Dakhla-Oued Ed-Dahab", "Dakhla-Oued Ed-Dahab", 1),
)

# A million files need more names than the demo's: with few, one name would match thousands of files.
ARABIC_FIRST = demo_data.ARABIC_FIRST + (
    "عائشة", "حليمة", "رقية", "صفاء", "بشرى", "نجاة", "فتيحة", "مليكة", "جميلة", "سميرة", "نوال", "لبنى", "غزلان",
    "هدى", "سناء", "أسماء", "إكرام", "دنيا", "شيماء", "ابتسام", "وئام", "سهام", "كوثر", "مونية", "ثريا", "زهور",
    "حسناء", "نادية", "رجاء", "بهيجة", "خلود", "أمال", "سلوى", "منى")
ARABIC_LAST = demo_data.ARABIC_LAST + (
    "الأنصاري", "البوعزاوي", "الحمداوي", "الخطابي", "الدكالي", "الراشدي", "الزموري", "السوسي", "الشاوي",
    "الطنجاوي", "العبدلاوي", "الغزاوي", "القادري", "الكرفطي", "المنصوري", "الناصري", "الهواري", "اليعقوبي",
    "أمزيان", "أوعلي", "بلحاج", "بنجلون", "بنكيران", "بوزيد", "تاوسي", "حجي", "حمدي", "خالدي", "داودي", "رحموني",
    "زروال", "سلامي", "شكري", "صبري", "طاهري", "عثماني", "عزيزي", "فاضلي", "قاسمي", "لحلو", "مجدي", "نجاري",
    "وهبي", "يوسفي", "بنسودة", "الفيلالي", "الصنهاجي", "المكناسي", "البركاني", "الحريزي")
ARABIC_MIDDLE = ("بنت محمد", "بنت أحمد", "بنت الحسن", "بنت عبد الله", "بنت إبراهيم", "بنت عمر", "بنت علي",
                 "بنت يوسف", "بنت مصطفى", "بنت إدريس", "بنت العربي", "بنت الطاهر")
LATIN_FIRST = demo_data.LATIN_FIRST + (
    "Aicha", "Halima", "Rkia", "Safae", "Bouchra", "Najat", "Fatiha", "Malika", "Jamila", "Samira", "Nawal",
    "Asmae", "Ikram", "Dounia", "Chaimae", "Ibtissam", "Siham", "Kaoutar", "Mounia", "Touria", "Zohra", "Hasna",
    "Rajae", "Wiam", "Soukaina", "Btissam")
LATIN_LAST = demo_data.LATIN_LAST + (
    "Ansari", "Hamdaoui", "Khattabi", "Doukkali", "Rachidi", "Soussi", "Chaoui", "Ghazaoui", "Kadiri", "Mansouri",
    "Naciri", "Yacoubi", "Amziane", "Belhaj", "Benjelloun", "Benkirane", "Bouzid", "Hajji", "Hamdi", "Khalidi",
    "Daoudi", "Rahmouni", "Zeroual", "Slaoui", "Chokri", "Sabri", "Tahiri", "Othmani", "Azizi", "Fadili",
    "Kasmi", "Lahlou", "Majdi", "Najjari", "Wahbi", "Youssfi", "Bensouda", "Filali", "Senhaji", "Meknassi")
STREETS = ("زنقة الورود", "شارع الحسن الثاني", "حي السلام", "درب الفقراء", "rue des Orangers", "avenue Mohammed V",
           "quartier Al Qods", "lotissement Annasr")
CONTACT_INSTRUCTIONS = (
    None, None, None, "لا تتصلوا بعد السادسة مساءً", "Appeler seulement le matin", "Ne pas laisser de message vocal",
    "الاتصال عبر أختها فقط", "SMS uniquement, jamais d'appel le week-end",
)
#: Sentences a caseworker writes in the narrative; a file's narrative joins two to five of them.
NARRATIVE_SENTENCES = (
    "تعرضت للضرب من طرف الزوج بعد خلاف حول المصروف، وتخشى العودة إلى البيت مع أطفالها.",
    "تتلقى تهديدات متكررة عبر الهاتف والرسائل من الخطيب السابق منذ عدة أشهر.",
    "حرمها الزوج من الموارد ومنعها من العمل منذ سنتين، وتعيش في عزلة عن عائلتها.",
    "Violences physiques répétées du conjoint ; elle a quitté le domicile avec ses deux enfants.",
    "Harcèlement en ligne et diffusion de photos sans consentement par un ancien partenaire ; captures conservées.",
    "Agression dans l'espace public par un inconnu en fin de journée ; plainte non encore déposée par peur.",
    "Pressions de la famille pour un mariage forcé ; elle demande à être hébergée rapidement.",
    "She reports being locked in the house for days and having her identity papers confiscated by her husband.",
    "Les violences ont augmenté depuis sa grossesse ; le conjoint menace de la tuer si elle porte plainte.",
    "أصيبت بجروح في الوجه واليدين وتحتاج إلى شهادة طبية لتقديم الشكاية.",
    "The employer withholds her wages and threatens to report her if she leaves the job.",
    "Elle souhaite une formation professionnelle pour devenir autonome financièrement après la séparation.",
)
NOTE_BODIES = (
    "Appel de suivi : elle va mieux, rendez-vous fixé la semaine prochaine.",
    "تم الاتصال بها وأكدت حضورها للجلسة القادمة.",
    "Documents d'état civil reçus ; dossier d'aide juridictionnelle en préparation.",
    "Unable to reach her today; will try again tomorrow morning as agreed.",
)
REFERRAL_MESSAGES = (
    "Merci de prendre contact avec elle selon les consignes du dossier.",
    "نرجو التكفل بها في أقرب الآجال، الحالة مستعجلة.",
    "Please call before noon; she cannot talk in the evening.",
    "Besoin d'une consultation juridique sur la garde des enfants.",
)
EVENT_MESSAGES = {
    "info_request": "Merci de préciser l'adresse actuelle et un moment sûr pour l'appeler.",
    "info_provided": "Adresse mise à jour ; l'appeler entre 10 h et 12 h.",
    "complete": "تم التكفل وتسليم الشهادة الطبية. / Prise en charge effectuée.",
    "decline": "Service saturé cette semaine.",
    "return": "La survivante a été orientée vers un autre centre plus proche.",
}
CONSENT_NOTE = "Consentement verbal recueilli en présence de l'assistante sociale."
JUDGEMENT = "Menaces de mort crédibles et accès à une arme : niveau relevé par jugement professionnel."

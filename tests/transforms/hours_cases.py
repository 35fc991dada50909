"""Realistic French opening hours as museums type them, and their OSM ``opening_hours``.

``UNDERSTOOD`` pairs a text with the exact string :func:`patrimoine.transforms.hours.to_osm`
must return; ``NOT_UNDERSTOOD`` lists texts it must refuse (``None``), each with why.
"""

from __future__ import annotations

UNDERSTOOD: list[tuple[str, str]] = [
    # day ranges, single days, lists
    ("Du mardi au dimanche de 10h à 18h", "Tu-Su 10:00-18:00"),
    ("mardi-dimanche 10h-18h", "Tu-Su 10:00-18:00"),
    ("Lundi au vendredi : 9h-17h", "Mo-Fr 09:00-17:00"),
    ("Le samedi de 14h à 18h", "Sa 14:00-18:00"),
    ("lundi, mercredi et vendredi de 14h à 18h", "Mo,We,Fr 14:00-18:00"),
    ("Mercredi, samedi et dimanche de 14 h à 18 h", "We,Sa-Su 14:00-18:00"),
    ("du vendredi au mardi 14h-18h", "Mo-Tu,Fr-Su 14:00-18:00"),
    ("Lun. - Ven. : 9h-12h", "Mo-Fr 09:00-12:00"),
    ("en semaine de 9h à 17h", "Mo-Fr 09:00-17:00"),
    ("Le week-end et les jours fériés de 14h à 18h", "Sa-Su,PH 14:00-18:00"),
    ("dimanches et fériés 14h-18h", "Su,PH 14:00-18:00"),
    ("Ouvert du mardi au dimanche de 10h à 18h", "Tu-Su 10:00-18:00"),
    ("Horaires d'ouverture : du mardi au dimanche, 10h-18h", "Tu-Su 10:00-18:00"),
    # every day
    ("Tous les jours de 10h à 18h", "Mo-Su 10:00-18:00"),
    ("7j/7 de 10h à 19h", "Mo-Su 10:00-19:00"),
    ("Ouvert 7 jours sur 7, 9h30-18h", "Mo-Su 09:30-18:00"),
    ("Tous les jours 24h/24", "24/7"),
    ("10h-12h et 14h-18h", "10:00-12:00,14:00-18:00"),
    # times
    ("Du lundi au vendredi de 9h à 12h et de 14h à 17h30", "Mo-Fr 09:00-12:00,14:00-17:30"),
    ("de 10 h à 18 h 30", "10:00-18:30"),
    ("Du mercredi au dimanche 10h00-12h30 / 14h-17h30", "We-Su 10:00-12:30,14:00-17:30"),
    ("Du mardi au samedi 9h30 – 18h", "Tu-Sa 09:30-18:00"),
    ("Du mardi au dimanche de 10 à 18 heures", "Tu-Su 10:00-18:00"),
    ("entre 10h et 18h du mardi au samedi", "Tu-Sa 10:00-18:00"),
    ("Du mardi au dimanche de 10h à midi et de 14h à 18h", "Tu-Su 10:00-12:00,14:00-18:00"),
    ("tous les jours de 10h à minuit", "Mo-Su 10:00-24:00"),
    ("Mardi–dimanche 10:00-18:00", "Tu-Su 10:00-18:00"),
    # closed days, exceptions
    ("Tous les jours de 10h à 18h, fermé le lundi", "Tu-Su 10:00-18:00"),
    ("Tous les jours sauf le mardi de 10h à 18h", "Mo,We-Su 10:00-18:00"),
    ("Tous les jours de 10h à 18h sauf lundi et mardi", "We-Su 10:00-18:00"),
    ("de 10h à 18h sauf le lundi", "Tu-Su 10:00-18:00"),
    (
        "Tous les jours de 10h à 18h, sauf le lundi et le 25 décembre",
        "Tu-Su 10:00-18:00; Dec 25 off",
    ),
    (
        "tous les jours de 10h à 18h, le dimanche de 14h à 18h",
        "Mo-Su 10:00-18:00; Su 14:00-18:00",
    ),
    ("10h-18h. Fermé le lundi.", "Tu-Su 10:00-18:00"),
    (
        "Fermé le lundi, ouvert du mardi au dimanche de 10h à 18h",
        "Tu-Su 10:00-18:00",
    ),
    (
        "Tous les jours de 10h à 18h. Fermé les lundis et jours fériés",
        "Tu-Su 10:00-18:00; PH off",
    ),
    # public holidays
    (
        "Du mardi au dimanche de 10h à 18h, fermé les jours fériés",
        "Tu-Su 10:00-18:00; PH off",
    ),
    (
        "Du mardi au dimanche, de 10h à 18h (sauf jours fériés)",
        "Tu-Su 10:00-18:00; PH off",
    ),
    (
        "Du mardi au dimanche de 10h à 18h, y compris les jours fériés",
        "Tu-Su,PH 10:00-18:00",
    ),
    ("Tous les jours de 10h à 18h. Ouvert les jours fériés.", "Mo-Su,PH 10:00-18:00"),
    (
        "Du mardi au dimanche de 10h à 18h, ouvert les jours fériés ; samedi 10h-20h",
        "Tu-Su,PH 10:00-18:00; Sa 10:00-20:00",
    ),
    # dates
    (
        "Du mardi au dimanche de 10h à 18h. Fermé le 1er mai, le 25 décembre et le 1er janvier",
        "Tu-Su 10:00-18:00; May 01,Dec 25,Jan 01 off",
    ),
    (
        "Tous les jours de 10h à 18h, fermé les 1er janvier, 1er mai et 25 décembre",
        "Mo-Su 10:00-18:00; Jan 01,May 01,Dec 25 off",
    ),
    (
        "Fermé les 25 et 26 décembre. Du mardi au dimanche 10h-18h",
        "Tu-Su 10:00-18:00; Dec 25,Dec 26 off",
    ),
    (
        "Fermé à Noël et le jour de l’an ; tous les jours 10h-18h",
        "Mo-Su 10:00-18:00; Dec 25,Jan 01 off",
    ),
    (
        "Du mardi au dimanche de 10h à 18h. Fermé du 24 décembre au 2 janvier.",
        "Tu-Su 10:00-18:00; Dec 24-Jan 02 off",
    ),
    (
        "Du 1er juillet au 31 août, tous les jours de 10h à 19h",
        "Jul 01-Aug 31 Mo-Su 10:00-19:00",
    ),
    ("De 10h à 18h, du 1er au 15 juillet", "Jul 01-Jul 15 10:00-18:00"),
    # months and seasons
    (
        "D'avril à octobre, du mardi au dimanche de 10h à 18h ; de novembre à mars, "
        "du mardi au vendredi de 14h à 17h",
        "Apr-Oct Tu-Su 10:00-18:00; Nov-Mar Tu-Fr 14:00-17:00",
    ),
    ("d’avril à octobre 10h-18h", "Apr-Oct 10:00-18:00"),
    ("En été : tous les jours de 10h à 19h", "Jun-Aug Mo-Su 10:00-19:00"),
    ("L’été, tous les jours de 10 h à 19 h", "Jun-Aug Mo-Su 10:00-19:00"),
    ("En hiver, du mercredi au dimanche de 14h à 17h", "Dec-Feb We-Su 14:00-17:00"),
    (
        "Ouvert le samedi et le dimanche de 14h à 18h d'avril à octobre",
        "Apr-Oct Sa-Su 14:00-18:00",
    ),
    (
        "Juillet et août : tous les jours 10h-19h ; le reste de l'année : du mardi au "
        "dimanche 10h-18h",
        "Jul-Aug Mo-Su 10:00-19:00; Sep-Jun Tu-Su 10:00-18:00",
    ),
    (
        "Du mardi au dimanche de 10h à 18h. En juillet et août, tous les jours de 10h à 19h.",
        "Tu-Su 10:00-18:00; Jul-Aug Mo-Su 10:00-19:00",
    ),
    ("Du mardi au dimanche de 14h à 18h sauf en août", "Sep-Jul Tu-Su 14:00-18:00"),
    (
        "Du mardi au dimanche de 10h à 18h. Fermeture annuelle en janvier.",
        "Tu-Su 10:00-18:00; Jan off",
    ),
    (
        "Du mardi au dimanche de 10h à 18h, fermé au mois d'août",
        "Tu-Su 10:00-18:00; Aug off",
    ),
    (
        "Du mardi au dimanche de 10h à 18h ; fermé le lundi d'octobre à mars",
        "Tu-Su 10:00-18:00; Oct-Mar Mo off",
    ),
    (
        "En hiver, fermé le lundi. Tous les jours de 10h à 18h",
        "Mo-Su 10:00-18:00; Dec-Feb Mo off",
    ),
    (
        "Fermé les lundis et mardis en hiver. Tous les jours 10h-18h",
        "Mo-Su 10:00-18:00; Dec-Feb Mo-Tu off",
    ),
    # closures written after what they close
    ("Noël et jour de l'an fermé; tous les jours 10h-18h", "Mo-Su 10:00-18:00; Dec 25,Jan 01 off"),
    ("Lundi : fermé ; du mardi au dimanche : 10h-18h", "Tu-Su 10:00-18:00"),
    ("Janvier : fermé. Tous les jours 10h-18h", "Mo-Su 10:00-18:00; Jan off"),
    # a closure said in a clause holds for that clause's rules, on its own for all
    (
        "Tous les jours 10h-18h, fermé le lundi. En été, tous les jours 10h-19h",
        "Tu-Su 10:00-18:00; Jun-Aug Mo-Su 10:00-19:00",
    ),
    (
        "Du mardi au dimanche 10h-18h. En été tous les jours 10h-19h. Fermé le lundi.",
        "Tu-Su 10:00-18:00; Jun-Aug Tu-Su 10:00-19:00",
    ),
    # several rules
    (
        "Mardi-vendredi 10h-12h30, 14h-18h ; samedi-dimanche 14h-18h",
        "Tu-Fr 10:00-12:30,14:00-18:00; Sa-Su 14:00-18:00",
    ),
    ("Du lundi au vendredi 9h-17h, le samedi 10h-12h", "Mo-Fr 09:00-17:00; Sa 10:00-12:00"),
    (
        "Lundi: 14h-18h; Mardi: fermé; Mercredi-Dimanche: 10h-18h",
        "Mo 14:00-18:00; We-Su 10:00-18:00",
    ),
    (
        "Ouvert tous les jours de 10h à 18h en juillet et août, le reste de l'année le "
        "week-end de 14h à 18h",
        "Jul-Aug Mo-Su 10:00-18:00; Sep-Jun Sa-Su 14:00-18:00",
    ),
    ("en été de 10h à 19h et en hiver de 10h à 17h", "Jun-Aug 10:00-19:00; Dec-Feb 10:00-17:00"),
    (
        "Du mardi au dimanche de 10h à 18h\nFermé le 1er mai",
        "Tu-Su 10:00-18:00; May 01 off",
    ),
    # closed for good or for works
    ("Fermé", "off"),
    ("Fermé pour travaux", "off"),
    ("Musée temporairement fermé pour cause de travaux", "off"),
    ("Fermé jusqu'à nouvel ordre", "off"),
    # spelling: case, accents, typographic apostrophes, spaces
    ("DU MARDI AU DIMANCHE DE 10H À 18H", "Tu-Su 10:00-18:00"),
    ("du mardi au dimanche de 10H30 a 18H", "Tu-Su 10:30-18:00"),
    ("  Du\u00a0mardi  au dimanche,\tde 10\u202fh à 18\u202fh  ", "Tu-Su 10:00-18:00"),
    ("Du mardi au dimanche de 10h à 18h. Fermé les jours feries", "Tu-Su 10:00-18:00; PH off"),
    # already in OSM syntax: kept as written
    ("Tu-Su 10:00-18:00; PH off", "Tu-Su 10:00-18:00; PH off"),
    (
        "Mo-Fr 08:00-12:00,13:00-17:30;  Sa 08:00-12:00",
        "Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00",
    ),
    ("Apr-Oct Tu-Su 10:00-18:00; Jan 01 off", "Apr-Oct Tu-Su 10:00-18:00; Jan 01 off"),
    ("24/7", "24/7"),
    ("off", "off"),
    # already OSM, but the parser warns (lower-case days): its own rendering
    ("mo-fr 10:00-18:00", "Mo-Fr 10:00-18:00"),
]

NOT_UNDERSTOOD: list[tuple[str, str]] = [
    ("sur rendez-vous", "no hours at all"),
    ("Visites sur rendez-vous uniquement", "no hours at all"),
    ("Du mardi au dimanche de 10h à 18h, sur rendez-vous le lundi", "a clause not understood"),
    ("Du mardi au dimanche de 10h à 18h, dernière entrée 17h30", "a clause not understood"),
    ("Ouvert tous les jours", "days without hours (OSM would read 24 h a day)"),
    ("Du mardi au dimanche", "days without hours"),
    ("Fermé le lundi", "closures only, opening hours unknown"),
    ("Le matin de 9h à 12h", "'le matin'"),
    ("Le dimanche après-midi", "'après-midi'"),
    ("À partir de 14h", "open end"),
    ("Du mardi au dimanche 10h-18h; le samedi jusqu'à 20h", "open start"),
    ("Le 1er dimanche du mois de 14h à 18h", "nth weekday of the month"),
    ("Pendant les vacances scolaires, tous les jours 10h-18h", "school holidays"),
    ("du mardi au dimanche de 22h à 2h", "overnight interval"),
    ("10h-12h et 11h-18h", "overlapping intervals"),
    ("10h75-12h", "minutes out of range"),
    ("Du 31 février au 3 mars, 10h-18h", "no such date"),
    ("Du mardi au dimanche de 10h à 18h, fermé le dimanche", "a day both open and closed"),
    ("Tous les jours de 10h à 18h sauf le lundi de 14h à 18h", "Monday's hours or a break?"),
    ("Fermé en janvier et le lundi. Tous les jours 10h-18h", "every Monday or January's?"),
    ("Fermé le lundi pour travaux. Du mardi au dimanche 10h-18h", "works and hours together"),
    ("Fermé. Du mardi au dimanche 10h-18h", "closed and open"),
    ("Fermé à partir du 1er mai", "open-ended closure"),
    ("Janvier et lundi : fermé. Tous les jours 10h-18h", "every Monday or January's?"),
    ("Lundi : fermé, mardi-dimanche : 10h-18h", "is Tuesday-Sunday closed too?"),
    (
        "D'avril à octobre, tous les jours 10h-18h, fermé les jours fériés ; de novembre à "
        "mars, tous les jours 14h-17h",
        "public holidays closed in winter too?",
    ),
    ("14h-18h en juillet et août, fermé le reste de l'année", "not supported: closed rest"),
    ("Fermé le lundi et le mardi matin", "'matin'"),
    ("10h-18h, tous les jours sauf lundi, en été", "except summer, or only in summer?"),
    (
        "Mardi-vendredi 10h-18h, samedi 14h-18h. Ouvert les jours fériés",
        "which rule do public holidays follow?",
    ),
    ('"sur rendez-vous"', "OSM comment alone: the parser reads it as open 24/7"),
    ('Mo-Fr 10:00-18:00; "sur rendez-vous"', "OSM comment rule read as open 24/7"),
    ("2024", "a valid OSM year selector, not opening hours"),
    ("Mo-Fr 10h-18h", "neither OSM nor French"),
    ("", "empty"),
    ("   ", "blank (the parser reads it as 24/7)"),
]

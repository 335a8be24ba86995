# Настройки: организация, работни пространства и канали, потребители, екипи, сигурност.

settings-nav-label = Настройки
settings-nav-organisation = Организация
settings-nav-workspaces = Работни пространства и канали
settings-nav-users = Потребители
settings-nav-teams = Екипи
settings-nav-security = Сигурност
settings-nav-tokens = API токени
settings-nav-audit = Одитен журнал

## Организация
org-title = Организация
org-lead = Името и настройките по подразбиране, с които започва всеки в организацията.
org-field-name = Име на организацията
org-field-language = Език по подразбиране
org-field-language-hint = За нови потребители и за имейли до хора, които не са избрали език.
org-field-timezone = Часова зона по подразбиране
org-field-timezone-hint = Новите потребители започват с нея; графиците и отчетите я използват, освен ако не е зададено друго.
org-created = Организацията е създадена на { $date }

## Потребители
users-title = Потребители
users-create = Нов потребител
users-create-heading = Създаване на потребител
users-create-hint = Потребителят получава еднократна връзка, за да избере парола. По-късно можете да добавите още роли.
users-create-submit = Създай потребител
users-created-heading = { $name } вече може да настрои профила си
users-created-body = Предайте тази връзка на { $email } лично, по канал, на който имате доверие. Тя работи веднъж и изтича на { $date }.
users-created-link = Еднократна връзка за настройване
users-empty = Все още няма потребители.
users-no-roles = Без роли
user-status-active = Активен
user-status-invited = Поканен
user-status-disabled = Деактивиран

## Потребител
user-roles-heading = Роли
user-roles-empty = Няма роли. Човекът може да влезе, но няма да вижда нищо, докато не му дадете роля.
user-grant-heading = Даване на роля
user-grant-submit = Дай ролята
user-revoke-confirm = Да се отнеме ли ролята „{ $role }“ от { $name }?
user-account-heading = Профил
user-created-at = Създаден
user-danger-heading = Достъп
user-reset-2fa = Нулирай двуфакторното удостоверяване
user-reset-2fa-desc = При изгубен телефон: потребителят ще настрои двуфакторното удостоверяване отново при следващия си вход.
user-reset-2fa-confirm = Да се нулира ли двуфакторното удостоверяване на { $name }?
user-disable = Деактивирай потребителя
user-disable-desc = Прекратява всичките му сесии и спира API токените му. Историята му се запазва.
user-disable-confirm = Да се деактивира ли { $name }? Всичките му сесии ще бъдат прекратени.
user-enable = Активирай потребителя
user-enable-desc = Позволява му отново да влиза със същата парола и роли.

## Екипи
teams-title = Екипи
teams-lead = Групи от хора за разпределяне на разговори, одобрения и дежурства.
teams-create-heading = Създаване на екип
teams-field-name = Име на екипа
teams-create-submit = Създай екип
teams-empty = Все още няма екипи. Създайте екип отгоре и добавете членове.
teams-no-members = Все още няма членове.
teams-members-of = Членове на { $team }
teams-add-member = Добавяне на член

## Работни пространства и канали
ws-title = Работни пространства и канали
ws-lead = Работното пространство обединява каналите на една марка, пазар или екип; ролите могат да се дават за отделно работно пространство.
ws-empty = Все още няма работни пространства. Създайте първото по-долу.
ws-no-channels = В това работно пространство още няма канали.
ws-channels-of = Канали в { $workspace }
ws-create-heading = Създаване на работно пространство
ws-create-hint = Например марка, държава или отдел.
ws-field-name = Име на работното пространство
ws-create-submit = Създай работно пространство
ch-create-heading = Създаване на тестов или тренировъчен канал
ch-create-hint = С него можете безопасно да опитате публикуването, входящата кутия и кризисни учения: публикациите му никога не напускат този сървър.
ch-create-needs-workspace = Първо създайте работно пространство.
ch-field-workspace = Работно пространство
ch-field-name = Име на канала
ch-create-submit = Създай канала
channel-status-active = Активен
channel-status-paused = На пауза
channel-status-needs-attention = Изисква внимание
channel-status-disconnected = Прекъснат

## Сигурност
security-title = Сигурност
security-lead = Правила за вход за всички в организацията.
security-2fa-legend = Задължително двуфакторно удостоверяване
security-2fa-hint = Хората, за които е задължително и които още не са го настроили, ще бъдат помолени да го направят веднага след вход.
security-2fa-off = Не е задължително
security-2fa-everyone = За всички
security-2fa-roles = За хората с тези роли
security-2fa-roles-legend = Роли, за които двуфакторното удостоверяване е задължително
security-sessions-legend = Сесии
security-session-lifetime = Продължителност на сесията (часове без активност)
security-session-lifetime-hint = След толкова часа без активност потребителите влизат отново. От 1 до 720 часа (30 дни).
security-lockout-heading = Блокиране при неуспешен вход
security-lockout-body = След { $attempts } неуспешни опита за вход в рамките на { $window } минути профилът се блокира.
security-lockout-duration = Блокирането отпада автоматично след { $minutes } минути.
security-lockout-hint = Задава се в конфигурацията на сървъра. Блокираните профили и неуспешните опити се виждат в одитния журнал.
security-reply-approval-legend = Отговори във входящата кутия, които изискват одобрение
security-reply-approval-hint = Отговорите на хора с тези роли чакат, докато някой с право да одобрява отговори (собственик, администратор) ги одобри. Хората с това право изпращат своите отговори направо.

# Общи думи: оформление, навигация, действия, етикети на полета и колони, бройки, грешки.

app-name = Owlery
skip-to-content = Към съдържанието

## Навигация
nav-primary-label = Основна навигация
nav-publish = Публикуване
nav-inbox = Входяща кутия
nav-crisis = Кризи
nav-oncall = Дежурства
nav-analytics = Анализи
nav-governance = Управление
nav-settings = Настройки
nav-account = Профил
nav-tokens = API токени
nav-signout = Изход
nav-signin = Вход
nav-menu = Меню
user-menu-label = Меню на профила на { $name }
breadcrumb-label = Навигационна пътека
pager-label = Страници

## Избор на език
lang-switch-label = Език
lang-switch-apply = Приложи

## Действия
action-save = Запази промените
action-add = Добави
action-remove = Премахни
action-revoke = Отнеми
action-copy = Копирай
action-copied = Копирано

## Полета във формуляри
field-email = Имейл
field-password = Парола
field-new-password = Нова парола
field-current-password = Текуща парола
field-password-confirm = Повторете паролата
field-name = Име
field-role = Роля
field-scope = Къде
field-code = Код
field-code-6 = Шестцифрен код
password-rules = Използвайте поне { $min } знака. Няколко несвързани думи правят паролата силна.

## Колони в таблици
col-name = Име
col-email = Имейл
col-roles = Роли
col-role = Роля
col-scope = Къде
col-2fa = Двуфакторно
col-status = Състояние
col-last-signin = Последен вход
col-granted-by = Дадена от
col-granted-at = Дадена на
col-actions = Действия
col-network = Мрежа
col-channel = Канал
col-scopes = Обхват
col-created = Създаден
col-expires = Изтича
col-last-used = Последно използван
col-time = Време
col-actor = Кой
col-action = Действие
col-target = Обект
col-ip = IP адрес
col-details = Подробности

## Състояния
status-on = Включено
status-off = Изключено
never = Никога
granted-by-system = Системата

## Бройки
count-users = { $count ->
    [one] { $count } потребител
   *[other] { $count } потребители
}
count-members = { $count ->
    [one] { $count } член
   *[other] { $count } членове
}
count-channels = { $count ->
    [one] { $count } канал
   *[other] { $count } канала
}
count-days = { $count ->
    [one] { $count } ден
   *[other] { $count } дни
}
stat-workspaces = { $count ->
    [one] Работно пространство
   *[other] Работни пространства
}
stat-channels = { $count ->
    [one] Канал
   *[other] Канали
}
stat-users = { $count ->
    [one] Потребител
   *[other] Потребители
}

## Относително време
time-just-now = току-що
time-minutes = { $count ->
    [one] { $count } минута
   *[other] { $count } минути
}
time-hours = { $count ->
    [one] { $count } час
   *[other] { $count } часа
}
time-days = { $count ->
    [one] { $count } ден
   *[other] { $count } дни
}
time-ago = преди { $amount }
time-in = след { $amount }

## Къде важи една роля
scope-organisation = Цялата организация
scope-workspace-named = Работно пространство: { $name }
scope-channel-named = Канал: { $name }

## Мрежи
network-sandbox = Пясъчник
network-sandbox-note = никога не напуска този сървър

## Съобщения при проверка на формуляри (за обработчиците)
form-has-errors = Някои полета изискват внимание. Вижте съобщенията по-долу.
err-required = Попълнете това поле.
err-email-invalid = Въведете имейл адрес, например name@example.com.
err-email-taken = Някой в тази организация вече използва този имейл адрес.
err-password-too-short = Използвайте поне { $min } знака.
err-password-mismatch = Двете пароли не съвпадат.
err-password-wrong = Това не е текущата ви парола.
err-password-common = Тази парола е твърде често срещана. Изберете друга.
err-code-invalid = Кодът не е валиден. Проверете приложението за удостоверяване и опитайте отново.
err-name-too-long = Използвайте до { $max } знака.
err-timezone-invalid = Изберете часова зона от списъка.
err-choose-one = Изберете поне една възможност.
err-number-range = Въведете цяло число от { $min } до { $max }.
err-csrf = Формулярът е изтекъл. Презаредете страницата и опитайте отново.

## Страници за грешки
error-home = Към началната страница
error-400-title = Заявката не може да бъде обработена
error-400-message = Нещо в адреса или във формуляра не беше каквото очаквахме. Върнете се и опитайте отново.
error-403-title = Нямате достъп до това
error-403-message = Ролите ви не включват тази страница или действие. Ако ви е нужно, обърнете се към администратор на организацията.
error-404-title = Страницата не е намерена
error-404-message = На този адрес няма нищо. Възможно е страницата да е преместена или изтрита, или връзката да е сгрешена.
error-410-title = Връзката е изтекла
error-410-message = Еднократните връзки работят веднъж и за ограничено време. Поискайте нова.
error-429-title = Твърде много заявки
error-429-message = Изчакайте малко, преди да опитате отново.
error-500-title = Нещо се обърка при нас
error-500-message = Проблемът е записан. Опитайте отново след малко; ако продължава, уведомете администратора си.

## Кратки съобщения след действие (за обработчиците)
flash-saved = Промените са запазени.
flash-user-created = Потребителят е създаден.
flash-role-granted = Ролята е дадена.
flash-role-revoked = Ролята е отнета.
flash-user-disabled = Потребителят е деактивиран. Сесиите и API токените му вече не работят.
flash-user-enabled = Потребителят е активиран отново.
flash-2fa-reset = Двуфакторното удостоверяване е нулирано. Потребителят ще го настрои отново при следващия си вход.
flash-team-created = Екипът е създаден.
flash-member-added = Членът е добавен.
flash-member-removed = Членът е премахнат.
flash-workspace-created = Работното пространство е създадено.
flash-channel-created = Тестовият канал е създаден.
flash-password-changed = Паролата е сменена. Другите ви сесии са прекратени.
flash-2fa-enabled = Двуфакторното удостоверяване е включено.
flash-2fa-disabled = Двуфакторното удостоверяване е изключено.
flash-token-revoked = Токенът е анулиран.
flash-language-changed = Езикът е сменен.
flash-signed-out = Излязохте от профила си.

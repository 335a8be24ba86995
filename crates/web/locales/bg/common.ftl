# Общи думи: оформление, навигация, действия, етикети на полета и колони, бройки, грешки.

app-name = Owlery
skip-to-content = Към съдържанието

## Навигация
nav-primary-label = Основна навигация
nav-publish = Публикуване
nav-inbox = Входящи
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
scope-channel-short = { $name } (канал)
scope-group-workspaces = Работни пространства
scope-group-channels = Канали

## Мрежи
network-sandbox = Пясъчник
network-sandbox-label = Пясъчник – никога не напуска този сървър
network-sandbox-note = никога не напуска този сървър

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

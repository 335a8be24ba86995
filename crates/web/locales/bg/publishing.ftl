## Публикуване: календар, одобрения, външен преглед, известия, абонамент за календара.

nav-calendar = Календар
nav-approvals = Одобрения
nav-notifications = Известия
account-nav-calendar-feed = Абонамент за календара

## Състояния на вариантите
vstatus-draft = Чернова
vstatus-in-review = За одобрение
vstatus-changes-requested = Поискани промени
vstatus-rejected = Отхвърлена
vstatus-approved = Одобрена
vstatus-scheduled = Насрочена
vstatus-publishing = Публикува се
vstatus-published = Публикувана
vstatus-failed = Неуспешна
vstatus-unconfirmed = Непотвърдена
vstatus-cancelled = Отменена
vstatus-paused = На пауза

## Решения
verdict-approve = Одобри
verdict-request-changes = Поиска промени
verdict-reject = Отхвърли

## Календар
cal-title = Календар
cal-lead = Насрочени и публикувани публикации във вашите работни пространства. Часовете са в { $zone }.
cal-subscribe = Абонирайте се от календара си
cal-nav-label = Период на календара
cal-prev = Предишен
cal-today = Днес
cal-next = Следващ
cal-modes-label = Изглед на календара
cal-view-month = Месец
cal-view-week = Седмица
cal-view-list = Списък
cal-filters = Филтри
cal-filters-on = Вкл.
cal-filter-workspace = Работно пространство
cal-filter-channel = Канал
cal-filter-network = Мрежа
cal-filter-status = Състояние
cal-filter-author = Автор
cal-filter-any = Всички
cal-filter-apply = Приложи филтрите
cal-filter-clear = Изчисти филтрите
cal-filter-campaign = Кампания
cal-empty = Няма насрочени или публикувани публикации за този период.
cal-empty-filtered = Няма публикации, отговарящи на тези филтри, за този период.
cal-drop-hint = Пуснете върху ден, за да преместите публикацията там
cal-drag-help = Плъзнете публикация върху друг ден, за да я преместите; часът ѝ се запазва. Или изберете „Премести“ в публикацията, за да зададете дата и час.
cal-has-errors = Има грешки
cal-move = Премести
cal-move-date = Нова дата
cal-move-time = Час ({ $zone })
cal-move-submit = Премести публикацията
cal-day-label = { $weekday }, { $date }
cal-heading-month = { $month } { $year } г.
cal-heading-week = { $from } – { $to } { $year } г.
cal-moved = Публикацията е преместена и е насрочена за новия час.
cal-moved-intended = Планираният час на публикацията е променен. Тя ще бъде насрочена, след като бъде одобрена.
cal-error-approval-required = Тази публикация трябва първо да бъде одобрена, за да бъде насрочена, затова не е преместена.
cal-error-validation-failed = Публикацията има грешки при проверката; поправете ги, преди да я насрочите.
cal-error-not-editable = Публикацията вече е изпратена към мрежата или е отменена и не може да бъде преместена.
cal-error-no-time = Публикацията още няма час; задайте го в редактора.
cal-error-nonexistent-local-time = Този час не съществува в този ден (часовникът се мести напред). Изберете друг час.
cal-error-invalid-date = Изберете дата, към която да преместите публикацията.
cal-error-invalid-time = Въведете часа като часове и минути, например 14:30.
cal-error-unknown = Публикацията не можа да бъде преместена.
cal-wd-1 = пн
cal-wd-2 = вт
cal-wd-3 = ср
cal-wd-4 = чт
cal-wd-5 = пт
cal-wd-6 = сб
cal-wd-7 = нд
cal-month-1 = януари
cal-month-2 = февруари
cal-month-3 = март
cal-month-4 = април
cal-month-5 = май
cal-month-6 = юни
cal-month-7 = юли
cal-month-8 = август
cal-month-9 = септември
cal-month-10 = октомври
cal-month-11 = ноември
cal-month-12 = декември
cal-month-short-1 = яну
cal-month-short-2 = фев
cal-month-short-3 = мар
cal-month-short-4 = апр
cal-month-short-5 = май
cal-month-short-6 = юни
cal-month-short-7 = юли
cal-month-short-8 = авг
cal-month-short-9 = сеп
cal-month-short-10 = окт
cal-month-short-11 = ное
cal-month-short-12 = дек

## Одобрения
approvals-title = Одобрения
approvals-lead = Публикации, които чакат вашето решение. Одобрете ги, поискайте промени или ги отхвърлете с причина.
approvals-count = { $count ->
    [one] { $count } чака
   *[other] { $count } чакат
}
approvals-empty = Нищо не чака вашето решение.
approvals-empty-hint = Публикациите се появяват тук, когато стигнат до стъпка на одобрение, в която сте сред одобряващите.
approval-done-approve = Одобрено. Авторът е уведомен.
approval-done-request-changes = Поискани са промени. Авторът е уведомен какво да промени.
approval-done-reject = Отхвърлено. Авторът е уведомен защо.
approval-refused = Решението ви не е записано; вижте съобщението при публикацията.
approval-error-not-pending = Тази публикация вече не чака одобрение.
approval-error-not-your-step = Не сте сред одобряващите на стъпката „{ $step }“.
approval-error-link-for-another-step = Тази връзка е за друга стъпка на одобрение; поискайте нова връзка.
approval-error-already-decided = Вече сте одобрили стъпката „{ $step }“.
approval-error-reason-required = Напишете причината, за да знае авторът какво да промени.
approval-error-reason-too-long = Причината е твърде дълга; най-много 2000 знака.
approval-error-invalid-external-label = Името на проверяващия липсва или е твърде дълго.
approval-error-own-post = Вие сте автор на тази публикация, затова друг трябва да я прегледа.
approval-error-verdict = Изберете „Одобри“ или „Поискай промени“.
rv-planned = Планирана за
rv-no-text = Няма текст.
rv-findings = Резултати от проверката
rv-finding-error = Грешка
rv-finding-warning = Предупреждение
rv-valid = Отговаря на изискванията на мрежата.
rv-untitled = Публикация без заглавие
rv-meta = От { $author } в { $workspace }
rv-round = кръг { $round }
rv-step-now = Стъпка: { $step }
rv-steps = Стъпки на одобрение
rv-step-done = Готово
rv-step-progress = { $approvals } от { $required } одобрения
rv-step-upcoming = Предстои
rv-overdue = Просрочено от
rv-due = Срок
rv-decisions = Решения досега
rv-own-post = Вие сте автор на тази публикация, затова друг трябва да я прегледа.
rv-reason = Причина
rv-reason-hint = Задължителна, когато искате промени или отхвърляте. Авторът я вижда.
rv-approve = Одобри
rv-request-changes = Поискай промени
rv-reject = Отхвърли

## Страница за външен преглед
review-link-title = Преглед на публикация
review-link-lead = { $label }, молим ви да прегледате тази публикация за стъпката „{ $step }“.
review-link-expires = Връзката е валидна до
review-link-name = Вашето име
review-link-reason-hint = Задължително, когато искате промени: напишете какво трябва да се промени.
review-link-error-name = Въведете името си (най-много 100 знака).
review-link-signed-empty = Одобрено от { $name }
review-link-done-approve = Благодарим ви. Одобрението ви е записано и тази връзка вече не работи.
review-link-done-changes = Благодарим ви. Искането ви за промени е изпратено на автора и тази връзка вече не работи.
review-link-unknown = Тази връзка за преглед не съществува. Проверете дали сте копирали целия адрес.
review-link-expired = Тази връзка за преглед е изтекла. Поискайте нова от човека, който ви я е изпратил.
review-link-used = Тази връзка за преглед вече е използвана. Всяка връзка записва едно решение.
review-link-not-waiting = Публикацията вече не чака този преглед, затова връзката не може да се използва.
review-link-invalid = Тази връзка за преглед е изтекла или вече е използвана.

## Известия
notif-title = Известия
notif-all-read = Прочели сте всичко.
notif-unread-count = { $count ->
    [one] { $count } непрочетено известие
   *[other] { $count } непрочетени известия
}
notif-mark-all = Отбележи всички като прочетени
notif-empty = Все още няма известия.
notif-new = Ново:
notif-generic = Новост за „{ $title }“
notif-review-approved = „{ $title }“ е одобрена.
notif-review-pending = „{ $title }“ премина към следващата стъпка на одобрение.
notif-review-changes-requested = Поискани са промени в „{ $title }“.
notif-review-rejected = „{ $title }“ е отхвърлена.
notif-review-escalated = Стъпката на одобрение „{ $step }“ за „{ $title }“ е просрочена.
notif-review-backup = Вие сте заместник за просрочената стъпка „{ $step }“ на „{ $title }“.
notif-review-requested = „{ $title }“ чака вашето одобрение на стъпка „{ $step }“.
notif-mention = { $author } ви спомена в коментар към „{ $title }“.
notif-assigned = { $by } ви възложи „{ $title }“.
notif-publish-failed = „{ $title }“ не можа да бъде публикувана в { $channel }.
notif-publish-held = „{ $title }“ беше задържана за { $channel }.
notif-campaign-held = Кампанията „{ $campaign }“ беше задържана: не всички публикации в нея бяха готови.
notif-spec-changed = „{ $title }“ вече не отговаря на правилата на { $channel } и беше свалена от графика.

## Абонамент за календара
feed-title = Абонамент за календара
feed-lead = Абонирайте се за календара на съдържанието от Google Calendar, Outlook или Apple Calendar чрез таен адрес.
feed-heading = Вашият адрес за абонамент
feed-active = Имате адрес за абонамент. Всеки, който го има, вижда публикациите, които виждате вие, затова го пазете в тайна.
feed-inactive = Все още нямате адрес за абонамент.
feed-create = Създай адрес за абонамент
feed-replace = Замени адреса
feed-replace-confirm = Сегашният адрес ще спре да работи. Продължавате ли?
feed-revoke = Изключи абонамента
feed-revoke-confirm = Сегашният адрес ще спре да работи. Продължавате ли?
feed-new-heading = Новият ви адрес за абонамент
feed-new-warning = Копирайте го сега и го добавете като абонамент в календара си. Показва се само този път.
feed-url = Адрес за абонамент
feed-created = Създаден е нов адрес за абонамент; предишният вече не работи.
feed-revoked = Абонаментът е изключен.

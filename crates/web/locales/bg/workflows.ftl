# Настройки → Процеси за одобрение.

settings-nav-workflows = Процеси за одобрение
wf-title = Процеси за одобрение
wf-lead = Кой одобрява публикациите, преди да бъдат публикувани. Собственият процес на канала има предимство пред този на работното пространство.
wf-new = Нов процес
wf-new-title = Нов процес за одобрение
wf-edit-title = Редактиране на процес за одобрение
wf-no-workspaces = Няма работни пространства, които управлявате. Процесите се задават за работно пространство или канал.
wf-caption = Процеси за одобрение в { $workspace }
wf-col-applies-to = Важи за
wf-col-workflow = Процес
wf-whole-workspace = Цялото работно пространство
wf-whole-workspace-hint = Всеки канал без собствен процес
wf-none-workspace = Няма: публикациите излизат без одобрение
wf-none-channel = Няма: публикациите излизат без одобрение
wf-inherits = Използва процеса на работното пространство
wf-add = Задай процес
wf-add-own = Добави собствен
wf-edit = Редактирай
wf-delete = Изтрий
wf-delete-confirm = Да се изтрие ли процесът „{ $name }“? Вече одобрените публикации остават одобрени.
wf-needs-approvals = { $count ->
    [one] нужно е { $count } одобрение
   *[other] нужни са { $count } одобрения
}
wf-within-hours = { $count ->
    [one] в рамките на { $count } час
   *[other] в рамките на { $count } часа
}
wf-backup-is = заместник: { $name }
wf-approvers-role = всеки с ролята „{ $role }“
wf-approvers-team = екип „{ $team }“
wf-approvers-external = външни рецензенти, чрез връзка
wf-saved = Процесът е запазен.
wf-deleted = Процесът е изтрит.

## Формата
wf-form-lead = Стъпките вървят поред: една стъпка започва, когато предишната е събрала всички одобрения.
wf-about-heading = Име и обхват
wf-field-name = Име на процеса
wf-field-name-hint = Например „Преглед на марката“ или „Правно одобрение“.
wf-field-scope = Важи за
wf-field-scope-hint = Цяло работно пространство или един канал (който тогава не използва процеса на работното пространство).
wf-scope-whole = { $workspace } — цялото работно пространство
wf-steps-heading = Стъпки
wf-steps-hint = Редовете без име се пропускат.
wf-step-legend = Стъпка { $number }
wf-step-name = Име на стъпката
wf-step-name-placeholder = напр. Преглед от редактор
wf-step-required = Нужни одобрения
wf-step-deadline = Срок (часове, по избор)
wf-step-deadline-hint = След него стъпката се ескалира и заместникът може да реши.
wf-step-approvers = Кой одобрява
wf-kind-role = Всеки с роля:
wf-kind-role-which = Роля
wf-kind-team = Екип:
wf-kind-team-which = Екип
wf-kind-people = Посочени хора
wf-kind-external = Външни рецензенти, чрез връзка
wf-kind-external-hint = За клиент или външен юрист: изпращате на всеки еднократна връзка.
wf-step-backup = Заместник (по избор)
wf-step-backup-hint = Може да реши, след като срокът изтече.
wf-no-backup = Без заместник
wf-step-up = Нагоре
wf-step-down = Надолу
wf-step-remove = Премахни стъпката
wf-step-add = Добави още една стъпка
wf-step-add-hint = До { $count } стъпки.
wf-save = Запази процеса
wf-create = Създай процеса
wf-cancel = Отказ

## Грешки
wf-error-name = Дайте на процеса име до 80 знака.
wf-error-scope = Изберете работно пространство или канал, които управлявате.
wf-error-scope-taken = Тук вече има процес, „{ $name }“. Редактирайте него или изберете друг обхват.
wf-error-steps-required = Добавете поне една стъпка с име.
wf-error-steps-too-many = Процесът може да има най-много { $max } стъпки.
wf-error-step-name-required = Дайте име на тази стъпка.
wf-error-step-name-too-long = Най-много { $max } знака.
wf-error-step-name-invalid = Името не може да съдържа управляващи знаци.
wf-error-required-range = Цяло число от 1 до { $max }.
wf-error-required-more-than-people = Одобренията са повече от посочените хора: посочете още хора или намалете броя.
wf-error-people-required = Изберете поне един човек.
wf-error-approvers = Изберете кой одобрява тази стъпка.
wf-error-backup = Изберете заместник от списъка.
wf-error-deadline-range = Цяло число часове от 1 до { $max } (30 дни) или оставете празно.
wf-error-move-waiting = В този процес чакат публикации, затова още не може да се премести; първо решете за тях.
wf-error-delete-waiting = „{ $name }“ не може да бъде изтрит, докато в него чакат публикации: първо решете за тях.

## Тренировъчни канали (страницата с работни пространства)
network-facebook-page = Facebook страница
network-practice-note = Тренировъчен — никога не напуска този сървър
ch-field-network = Мрежа
ch-field-network-hint = Пясъчник или тренировъчен канал, който следва правилата на истинска мрежа. Нито един от двата не публикува извън този сървър.
ch-network-practice-group = Тренировъчен канал (никога не напуска този сървър)
ch-network-practice = Тренировъчен: { $network }
ch-error-network = Изберете пясъчника или някоя от изброените мрежи.
ch-error-handle = Използвайте име с букви или цифри, за да получи каналът идентификатор.

## Публикуване: списък с публикации, редактор и история на версиите.

publish-title = Публикации
publish-lead = Пишете веднъж, разпратете до всеки канал и вижте докъде е стигнала всяка версия.
publish-new = Нова публикация
publish-empty = Още няма публикации. Започнете с „Нова публикация“.
publish-untitled = Публикация без заглавие
col-post = Публикация
col-channels = Канали
col-updated = Последна промяна

review-state-pending = Чака одобрение:
review-state-approved = Одобрена.
review-state-changes-requested = Поискани промени:
review-state-rejected = Отхвърлена:
review-pending-detail = стъпка „{ $step }“, { $count } одобрения

composer-new-title = Нова публикация
composer-edit-title = Редактиране на публикация
composer-lead = Основният текст отива до всеки избран канал; персонализирайте канал, за да има своя версия. Всеки канал се проверява по правилата на мрежата си, докато пишете.
composer-history = История на версиите
composer-workspace = Работно пространство
composer-switch = Смяна
composer-master = Основен текст
composer-field-title = Вътрешно заглавие
composer-field-title-hint = За списъците и календара; не се публикува.
composer-field-text = Текст
composer-field-link = Връзка
composer-field-link-hint = Мрежите без отделно поле за връзка я получават в края на текста.
composer-field-first-comment = Първи коментар
composer-field-first-comment-hint = Публикува се като първи отговор веднага след публикацията, където мрежата позволява.
composer-channels = Канали
composer-no-channels = В това работно пространство няма канали, за които можете да пишете.
composer-placement = Разположение
composer-customise = Персонализиране за този канал
composer-variant-text = Текст за { $channel }
composer-when = Кога
composer-field-when = Дата и час
composer-field-tz = Часова зона
composer-when-hint = Часът се пази в тази зона, така че публикацията остава в 09:00 и при смяна на лятното часово време.
composer-schedule = Насрочване
composer-now = Публикуване сега
composer-save-draft = Запазване на чернова
composer-outcome = Насрочени: { $scheduled }, чакат одобрение: { $review }, с грешки за поправяне: { $blocked }.
composer-saved-draft = Черновата е запазена.
composer-when-required = Изберете дата и час за насрочване или публикувайте сега.
composer-when-past = Този час е минал; изберете по-късен или публикувайте сега.
composer-needs-publisher = Можете да пишете за тези канали, но не и да публикувате в тях, и никой работен процес за одобрение не ги покрива: запазете чернова и помолете публикуващ.

publish-meter = { $used }/{ $limit }
publish-check-ok = Отговаря на правилата на мрежата.
finding-error = Грешка
finding-warning = Предупреждение
publish-saved-at = Запазено { $time }

history-title = История на версиите
history-lead = Всяка запазена версия, най-новата първа, с промените в текста.
history-version = Версия { $version }
history-current = текуща
history-restore = Възстановяване на версия { $version }

composer-comments = Коментари
composer-no-comments = Още няма коментари. Споменете колега с @ и името му, за да го попитате.
composer-add-comment = Добавяне на коментар
composer-comment-hint = @anna или @"Анна Иванова" известява Анна в Owlery и по имейл.
composer-comment-send = Коментиране
composer-assignee = Възложена на
composer-assign = Възлагане
composer-nobody = Никого

composer-media = Медия
composer-media-empty = В това работно пространство още няма медия.
composer-media-hint = Отметнете какво върви с публикацията и опишете всяко изображение за хората, които не го виждат.
composer-media-library = Към медийната библиотека
composer-media-expired = правата са изтекли
composer-alt-for = Алтернативен текст за { $name }
composer-alt-placeholder = Алтернативен текст: какво показва изображението
composer-variant-media = Медия за този канал

composer-field-campaign = Кампания
composer-no-campaign = Без кампания
composer-queue = Добавяне в опашката
composer-queued = Добавени в опашката на канала си: { $queued }; без място: { $left } (няма опашка, няма свободен час или чакат одобрение).

composer-differs = Собствена версия
composer-differs-hint = Версията за този канал се различава от основния текст в тези полета.
composer-diff-text = текст
composer-diff-title = заглавие
composer-diff-link = връзка
composer-diff-first_comment = първи коментар
composer-diff-media = медия

composer-utm = UTM етикети за връзките на този канал
composer-utm-hint = Попълнете и трите и запазете: всяка връзка в текста на канала и в полето за връзка ги получава (съществуващите utm_ стойности се заменят).

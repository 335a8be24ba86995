# The publishing engine's controls: the pause switch, posts that wait for a person ("Needs
# attention"), the late policy, channels that need reconnecting.

## Lateness
engine-late-by = закъсняло с { $duration }
engine-dur-m = { $m } мин
engine-dur-hm = { $h } ч { $m } мин
engine-dur-dh = { $d } д { $h } ч

## Needs attention
publish-nav-attention = Изисква внимание
attention-count = { $count ->
        [one] Една публикация изисква внимание
       *[other] { $count } публикации изискват внимание
    }
attention-title = Изисква внимание
attention-lead = Публикации, които чакат човек: задържани от пауза или защото закъсняха, непотвърдени от мрежата или неуспешни.
attention-empty = Нищо не чака човек. Тук се показват спрените, задържаните заради закъснение, непотвърдените и неуспешните публикации.
attention-all = Всичко, което изисква внимание
attention-group-paused = Спрени
attention-group-paused-hint = В техния час публикуването беше спряно. Възобновяването не изпраща нито една от тях само по себе си: изпратете всяка сега, насрочете я отново или я отменете.
attention-group-late = Задържани заради закъснение
attention-group-late-hint = Часът им мина, докато нищо не можеше да ги публикува, а организацията задържа закъснелите публикации за човек.
attention-group-unconfirmed = Непотвърдени от мрежата
attention-group-unconfirmed-hint = Мрежата не каза дали са пристигнали. Проверете канала в мрежата и отбележете какво намерихте: нищо не се изпраща отново, преди да го направите.
attention-group-failed = Неуспешни
attention-group-failed-hint = Тези не можаха да бъдат публикувани. Направете каквото казва съобщението и опитайте отново.
attention-untitled = Публикация без заглавие
attention-parts = { $count ->
        [one] Първата ѝ част вече е в мрежата; изпраща се само останалото.
       *[other] { $count } от частите ѝ вече са в мрежата; изпраща се само останалото.
    }
attention-send-now = Изпрати сега
attention-retry = Опитай отново
attention-reschedule = Насрочи отново
attention-reschedule-label = Нов час за „{ $title }“ в { $channel }
attention-reschedule-hint = Във вашата часова зона ({ $tz })
attention-cancel = Отмени
attention-cancel-confirm = Да се отмени ли тази публикация за { $channel }? Тя няма да бъде публикувана.
attention-edit = Редактирай
attention-check = Проверете в { $network }
attention-url-label = Адресът ѝ в мрежата
attention-is-there = Там е
attention-not-there = Не е там, изпрати отново
attention-no-actions = Можете да виждате тази публикация, но не и да я публикувате; обърнете се към публикуващ.
attention-still-paused = Публикуването тук все още е спряно: първо го възобновете.
attention-done-resumed = Изпратена отново: излиза сега (или в своя час, ако той още предстои).
attention-done-rescheduled = Насрочена отново.
attention-done-cancelled = Отменена: няма да бъде публикувана.
attention-done-resolved = Благодарим: Owlery поема оттук.
attention-error-url = Посочете адреса на публикацията в мрежата (https://…).
attention-error-when = Изберете дата и час в бъдещето.
attention-held-pause = Публикуването беше спряно в нейния час: { $reason }
attention-held-late = Задържана от правилото за закъснели: беше { $late }, когато Owlery можеше да я публикува.
attention-heading-post = Изисква внимание
attention-post-lead = Някои канали на тази публикация чакат човек.

## The pause banner
pause-banner-label = Публикуването е спряно
pause-banner-org = Публикуването е спряно за цялата организация — { $reason }
pause-banner-workspace = Публикуването е спряно за работното пространство { $name } — { $reason }
pause-banner-channel = Публикуването е спряно за канала { $name } — { $reason }
pause-banner-by = от { $name }, от { $since }
pause-banner-since = от { $since }
pause-banner-link = Настройки на публикуването

## Settings → Publishing
settings-nav-publishing = Публикуване
pub-settings-title = Публикуване
pub-settings-lead = Спрете публикуването веднага, когато нещо се обърка, и решете какво става с публикациите, чийто час е минал, докато нищо не е можело да ги публикува.
pause-active-heading = Спряно в момента
pause-active-empty = Публикуването работи навсякъде.
pause-col-where = Къде
pause-col-reason = Причина
pause-col-by = Спряно от
pause-col-since = От кога
pause-col-paused = Спряно
pause-col-lifted = Възобновено
pause-where-org = Цялата организация
pause-where-workspace = Работно пространство { $name }
pause-where-channel = Канал { $name }
pause-resume = Възобнови публикуването
pause-resume-confirm = Да се възобнови ли публикуването тук? Чакащите публикации остават в „Изисква внимание“, докато някой не ги изпрати.
pause-resume-hint = Възобновяването не изпраща нищо от чакащото: тези публикации са в
pause-org-heading = Спри цялото публикуване
pause-org-hint = Нищо не се публикува никъде в { $org }, докато публикуването не бъде възобновено. Публикациите с час междувременно чакат в „Изисква внимание“.
pause-org-confirm = Разбирам: нищо няма да бъде публикувано никъде, докато публикуването не бъде възобновено.
pause-org-confirm-dialog = Да се спре ли сега цялото публикуване в организацията?
pause-org-submit = Спри цялото публикуване
pause-reason = Причина
pause-reason-hint = Всеки, чиито публикации чакат, ще я прочете.
pause-scope-heading = Спри работно пространство или канал
pause-scope-field = Работно пространство или канал
pause-scope-workspace = Работно пространство: { $name }
pause-scope-channel = Канал: { $name } ({ $workspace })
pause-scope-submit = Спри публикуването там
pause-recent-heading = Наскоро възобновени
pause-error-reason = Посочете защо публикуването е спряно.
pause-error-confirm = Потвърдете, че искате да спрете цялото публикуване.
pause-error-scope = Изберете работно пространство или канал, които можете да спрете.
pause-done-paused = Публикуването е спряно.
pause-done-resumed = Публикуването е възобновено. Чакащите публикации са в „Изисква внимание“.
late-heading = Закъснели публикации
late-hint = Когато часът на публикация мине, докато нищо не може да я публикува (прекъсване, спрян сървър):
late-send = Изпрати я веднага, отбелязана като закъсняла
late-hold = Задръж я за човек, щом закъснее повече от срока по-долу
late-grace = Срок в минути
late-grace-hint = До толкова минути закъснение публикацията все пак излиза (отбелязана като закъсняла). От 0 до 10 080 (7 дни).
late-submit = Запази правилото за закъснели
late-error-policy = Изберете какво става със закъснелите публикации.
late-error-grace = Посочете брой минути от 0 до 10 080 (7 дни).
late-done = Правилото за закъснели публикации е запазено.

## Channels
channel-needs-reconnect = Трябва да се свърже отново
channel-reconnect-hint = Мрежата вече не приема връзката на този канал; публикациите му са неуспешни, докато не бъде свързан отново.

## Notifications in the app
notif-publish-unconfirmed = „{ $title }“ може да е, а може и да не е в { $channel }: проверете там.
notif-publish-paused = „{ $title }“ чака да бъде публикувана в { $channel }.
notif-channel-needs-reconnect = { $channel } трябва да се свърже отново.

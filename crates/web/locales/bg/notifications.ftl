# Известия: какво казват в приложението и в копията им по имейл. Вижте en/notifications.ftl.

notification-mail-greeting = Здравейте, { $name },
notification-mail-open = Отворете в Owlery: { $link }
notification-mail-footer = Получавате този имейл, защото ползвате Owlery. Известията се виждат и в приложението.

notification-review_escalated-subject = Прегледът закъснява: { $title }
notification-review_escalated-body = Прегледът на „{ $title }“ е просрочен на стъпка „{ $step }“ (срок { $due }). Предаден е на резервния преглеждащ.

notification-review_backup-subject = Моля, прегледайте: { $title }
notification-review_backup-body = Вие сте резервният преглеждащ за стъпка „{ $step }“ на „{ $title }“, която е просрочена (срок { $due }). Моля, прегледайте я.

notification-publish_failed-subject = Не е публикувано: { $title }
notification-publish_failed-body = „{ $title }“ не можа да бъде публикувано в { $channel }. { $error }

notification-publish_unconfirmed-subject = Проверете в мрежата: { $title }
notification-publish_unconfirmed-body = „{ $title }“ беше изпратено до { $channel }, но мрежата не потвърди, че е пристигнало. { $error } Проверете канала в мрежата и отбележете в „Изисква внимание“ дали е там: нищо не се изпраща отново, докато някой не го направи.

notification-publish_paused-subject = Чака човек: { $title }
notification-publish_paused-body = „{ $title }“ не беше публикувано в { $channel } в определеното време и чака човек. { $error } Изпратете го сега, насрочете го отново или го отменете в „Изисква внимание“.

notification-channel_needs_reconnect-subject = Свържете отново { $channel }
notification-channel_needs_reconnect-body = Мрежата вече не приема връзката на Owlery с { $channel }: { $error } Публикациите му са неуспешни, докато някой не го свърже отново в Настройки → Работни пространства и канали.

notification-publish_held-subject = Задържано: { $title }
notification-publish_held-body = „{ $title }“ не беше публикувано в { $channel } в определеното време: { $reason ->
        [approval_required] все още му липсват одобрения.
        [validation_failed] вече не отговаря на изискванията на мрежата.
        [media_expired] един от медийните му файлове е изтекъл или премахнат.
       *[other] задържано е ({ $reason }).
    } Поправете го и го насрочете отново.

notification-campaign_held-subject = Кампанията е задържана: { $campaign }
notification-campaign_held-body = Кампанията „{ $campaign }“ е „всичко или нищо“, а { $count ->
        [one] една публикация не беше одобрена или валидна
       *[other] { $count } публикации не бяха одобрени или валидни
    } в часа на пускане, затова нищо не беше публикувано. Блокират: { $posts }.

notification-spec_changed-subject = Нужна е нова проверка: { $title }
notification-spec_changed-body = Правилата на мрежите се промениха (версия { $version }) и „{ $title }“ за { $channel } вече не ги спазва. Свалено е от графика, докато не бъде поправено.

notification-other-subject = Нещо в Owlery изисква вниманието ви
notification-other-body = Имате нещо ново в Owlery.

notification-mention-subject = { $author } ви спомена: { $title }
notification-mention-body = { $author } ви спомена в коментар към „{ $title }“: { $excerpt }

notification-assigned-subject = Възложено ви е: { $title }
notification-assigned-body = { $by } ви възложи „{ $title }“.

notification-review_requested-subject = Чака вашето одобрение: { $title }
notification-review_requested-body = „{ $title }“ чака вашето одобрение на стъпка „{ $step }“.

notification-inbox_mention-subject = { $author } ви спомена: { $title }
notification-inbox_mention-body = { $author } ви спомена във вътрешна бележка по разговора с { $title }: { $excerpt }

notification-inbox_rule-subject = Моля, погледнете: { $title }
notification-inbox_rule-body = Правило ({ $step }) ви моли да погледнете разговор: „{ $title }“.

notification-inbox_assigned-subject = Възложено ви е: { $title }
notification-inbox_assigned-body = Възложен ви е разговор: „{ $title }“.

notification-inbox_sla_warning-subject = Скоро изтича срокът за отговор: { $title }
notification-inbox_sla_warning-body = Срокът за отговор на „{ $title }“ изтича скоро ({ $due }).

notification-inbox_sla_breached-subject = Просрочен отговор: { $title }
notification-inbox_sla_breached-body = Отговорът на „{ $title }“ трябваше да бъде изпратен до { $due } и не е. Случаят е ескалиран.

notification-inbox_escalated-subject = Ескалиран към вас: { $title }
notification-inbox_escalated-body = Правило ({ $step }) ескалира разговор към вас; вече е спешен: „{ $title }“.

notification-inbox_reply_pending-subject = Отговор чака вашето одобрение: { $title }
notification-inbox_reply_pending-body = { $author } написа отговор в { $channel }, който чака вашето одобрение: „{ $title }“.

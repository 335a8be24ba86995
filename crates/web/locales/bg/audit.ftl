# Одитен журнал.

audit-title = Одитен журнал
audit-lead = Всяка промяна в организацията: кой я е направил, кога, откъде и какво е променила.
audit-filters-label = Филтриране на одитния журнал
audit-filter-actor = Кой
audit-filter-action = Действие
audit-filter-from = От
audit-filter-to = До
audit-filter-apply = Филтрирай
audit-filter-clear = Изчисти филтрите
audit-export = Експорт в CSV
audit-empty = Няма събития, които отговарят на тези филтри.
audit-older = По-стари събития
audit-actor-system = Системата
audit-details-summary = Промени в №{ $seq }
audit-before = Преди
audit-after = След
audit-chain-verified = Веригата е проверена
audit-chain-verified-detail = { $count ->
    [one] Проверено е { $count } събитие: нищо не е променяно или изтривано.
   *[other] Проверени са { $count } събития: нищо не е променяно или изтривано.
}
audit-chain-broken = Веригата е прекъсната при събитие { $seq }
audit-chain-broken-detail = Събитие { $seq } не съответства на предходното: възможно е журналът да е променян от тази точка нататък. Експортирайте журнала и уведомете отговорника по сигурността.
audit-chain-unknown = Веригата още не е проверена

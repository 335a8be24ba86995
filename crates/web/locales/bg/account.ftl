# Собственият профил: данни, парола, двуфакторно удостоверяване, API токени.

account-title = Вашият профил
account-nav-label = Профил
account-nav-profile = Профил и сигурност
account-nav-tokens = API токени
account-profile-heading = Данни и предпочитания
account-field-language = Език
account-field-timezone = Часова зона
account-field-timezone-hint = Датите и часовете се показват в тази часова зона.
account-password-heading = Смяна на паролата
account-password-submit = Смени паролата

## Двуфакторно удостоверяване
twofa-heading = Двуфакторно удостоверяване
twofa-on-body = При вход след паролата се изисква код от приложението ви за удостоверяване.
twofa-off-body = Добавете втора стъпка при вход: шестцифрен код от приложение за удостоверяване на телефона ви.
twofa-codes-left = { $count ->
    [one] Остава ви { $count } неизползван код за възстановяване.
   *[other] Остават ви { $count } неизползвани кода за възстановяване.
}
twofa-regenerate = Вземи нови кодове за възстановяване
twofa-disable = Изключи двуфакторното удостоверяване
twofa-disable-confirm = Да се изключи ли двуфакторното удостоверяване? Профилът ви ще бъде защитен само с парола.
twofa-required-cannot-disable = Организацията ви изисква двуфакторно удостоверяване, затова то не може да бъде изключено.
twofa-required-notice = Организацията ви изисква двуфакторно удостоверяване. Настройте го, за да продължите.
twofa-set-up = Настрой двуфакторно удостоверяване
twofa-enrol-title = Настройване на двуфакторно удостоверяване
twofa-enrol-lead = Нужно ви е приложение за удостоверяване, например Aegis, Google Authenticator, Microsoft Authenticator или 1Password.
twofa-step-scan = Сканирайте този код с приложението
twofa-qr-label = QR код с тайния ключ за двуфакторно удостоверяване
twofa-step-manual = Или въведете този ключ в приложението
twofa-manual-hint = Ако приложението попита, изберете „базиран на време“ (time-based). Интервалите нямат значение.
twofa-secret-label = Таен ключ за двуфакторно удостоверяване
twofa-step-confirm = Въведете кода, който показва приложението
twofa-confirm-submit = Включи двуфакторното удостоверяване

## Кодове за възстановяване
codes-title = Вашите кодове за възстановяване
codes-lead = Всеки код ви позволява да влезете веднъж, ако изгубите телефона си. Пазете ги на сигурно място, например в мениджър на пароли.
codes-warning = Кодовете се показват само сега. Запазете ги, преди да напуснете страницата.
codes-download = Изтегли като текст
codes-done = Запазих ги

## API токени
tokens-title = API токени
tokens-lead = Лични токени за скриптове и интеграции. Токенът действа от ваше име, ограничен до избрания обхват и до вашите роли.
tokens-list-heading = Вашите токени
tokens-empty = Нямате API токени.
tokens-revoke = Анулирай
tokens-expired = Изтекъл
tokens-revoke-confirm = Да се анулира ли токенът „{ $name }“? Всичко, което го използва, ще спре да работи веднага.
tokens-create-heading = Създаване на токен
tokens-field-name = Име на токена
tokens-field-name-hint = За какво служи, за да го разпознаете по-късно.
tokens-field-expiry = Изтича след
tokens-field-scopes = Обхват
tokens-field-scopes-hint = Изберете само това, от което скриптът има нужда.
tokens-create-submit = Създай токен
tokens-new-heading = Токенът „{ $name }“ е създаден
tokens-new-warning = Копирайте го сега. Няма да бъде показан отново.
tokens-new-label = Вашият нов токен

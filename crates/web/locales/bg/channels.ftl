# Свързване на канали с OAuth: приложения в мрежите, страницата за свързване, изборът на профили.

settings-nav-network-apps = Приложения в мрежите

## Приложения в мрежите
napp-title = Приложения в мрежите
napp-lead = Owlery свързва профили във всяка мрежа чрез собственото приложение на организацията ви там. Създайте приложението в портала за разработчици на мрежата, регистрирайте показания адрес за връщане и въведете тук неговия client id и secret. Тайните се пазят шифровани и не се показват повече.
napp-status-configured = Настроено
napp-status-missing = Не е настроено
napp-status-automatic = Автоматично
napp-client-id = Идентификатор на клиента (client id)
napp-client-secret = Тайна на клиента (client secret)
napp-client-secret-hint = Пази се шифрован; въведете го отново, за да го смените.
napp-redirect-uri = Адрес за връщане (redirect URI)
napp-scopes = Искани разрешения
napp-media = Медия
napp-media-reachable = Изтегля се от този Owlery
napp-media-reachable-help = { $network } изтегля { $what ->
        [photos] снимките
       *[all] снимките и видеата
    } от публичния адрес на Owlery чрез връзки, които изтичат след час.
napp-media-unreachable = Нужен е публичен адрес
napp-media-unreachable-help = { $network } изтегля { $what ->
        [photos] снимките
       *[all] снимките и видеата
    } от публичния адрес на Owlery и не може да стигне до този: публикациите { $what ->
        [photos] със снимки
       *[all] с медия
    } ще се провалят, докато OWLERY_PUBLIC_URL не бъде зададен като адрес, достъпен от интернет.
napp-updated = Последна промяна
napp-setup = Настройване на приложението
napp-change = Промяна на приложението
napp-save = Запази приложението
napp-remove = Премахни приложението
napp-portal = Към портала за разработчици на { $network }
napp-saved = Приложението за { $network } е запазено.
napp-removed = Приложението за { $network } е премахнато. Свързаните канали работят, докато не се наложи подновяване на токените им.
napp-error-client-id = Въведете client id точно както го показва мрежата (без интервали).
napp-error-client-secret = Въведете client secret на приложението (един ред).
napp-help-x = В портала за разработчици на X създайте Project и App. В „User authentication settings“ изберете OAuth 2.0, тип „Web App (confidential client)“, разрешения „Read and write“ и добавете адреса за връщане по-долу. Въведете OAuth 2.0 Client ID и Client Secret.
napp-help-facebook-page = В Meta for Developers създайте приложение от тип Business и добавете продукта „Facebook Login for Business“. Добавете адреса за връщане по-долу във „Valid OAuth Redirect URIs“ и поискайте изброените разрешения. Въведете App ID и App Secret (Settings → Basic).
napp-help-instagram = Използвайте Business приложение на Meta с „Facebook Login for Business“ и продукта Instagram (Instagram API with Facebook Login). Добавете адреса за връщане по-долу във „Valid OAuth Redirect URIs“; може да е същото приложение като за Facebook страници. Въведете App ID и App Secret.
napp-help-threads = В Meta for Developers създайте приложение със случая на употреба „Access the Threads API“. Добавете адреса за връщане по-долу в Threads → Settings → „Redirect Callback URLs“. Въведете Threads App ID и Threads App Secret.
napp-help-linkedin = В портала за разработчици на LinkedIn създайте приложение, свързано със страницата на компанията ви, и добавете продуктите „Share on LinkedIn“, „Sign In with LinkedIn using OpenID Connect“ и „Community Management API“. Добавете адреса за връщане по-долу в Auth → „Authorized redirect URLs“. Въведете Client ID и Primary Client Secret.
napp-help-tiktok = В TikTok for Developers създайте приложение с „Login Kit“ и „Content Posting API“ (Direct Post). Добавете адреса за връщане по-долу към Login Kit. Въведете Client key и Client secret.
napp-help-tiktok-business = За четене и отговаряне на коментарите на бизнес профил: в портала на TikTok API for Business създайте приложение за профили в TikTok с разрешения за данните и видеата на профила и за четене и управление на коментарите му. Задайте адреса по-долу като адрес за връщане на притежателя на профила (TikTok account holder redirect URL). Въведете App ID и Secret.
napp-kind-tiktok-business = бизнес (API for Business)
napp-help-youtube = В Google Cloud включете „YouTube Data API v3“ за проект, настройте екрана за съгласие OAuth и създайте OAuth client ID от тип „Web application“ с адреса за връщане по-долу като разрешен. Въведете Client ID и Client secret.
napp-help-pinterest = В портала за разработчици на Pinterest създайте приложение (достъпът Standard изисква преглед от Pinterest) и добавете адреса за връщане по-долу. Въведете App ID и App secret key.
napp-help-mastodon = Нищо за настройване: всеки сървър на Mastodon има свои приложения и Owlery регистрира такова на сървъра при първото свързване на профил там.
napp-servers-none = Все още няма сървър.
napp-servers-caption = Приложенията на Owlery на сървъри на Mastodon
napp-col-server = Сървър
napp-col-registered = Регистрирано
napp-servers-remove-hint = Премахнатото приложение на сървър се регистрира отново при следващото свързване.

## Свързване
connect-open = Свързване на профил
connect-title = Свързване на профил
connect-lead = Owlery ви изпраща в мрежата, за да влезете и да разрешите публикуване, и после обратно тук. Никой в Owlery не вижда паролата ви там.
connect-no-workspace = Първо създайте работно пространство: всеки канал принадлежи на такова.
connect-networks-heading = Мрежи
connect-button = Свържи
connect-what-x = Профил
connect-what-facebook-page = Страници, които управлявате
connect-what-instagram = Професионални профили, свързани с вашите страници
connect-what-threads = Профил
connect-what-linkedin = Вашият профил или страници на компании
connect-what-tiktok = Профил на създател
connect-what-tiktok-business = Бизнес профил: коментарите му във входящата кутия
connect-what-youtube = Канал
connect-what-pinterest = Табла
connect-mastodon-hint = Въведете сървъра на профила. Owlery се регистрира там при първото свързване.
connect-server = Сървър
connect-other-hint = Профилите в Bluesky се свързват с парола за приложение (през API); каналите за упражнение, които никога не публикуват извън този сървър, се създават в „Работни пространства и канали“.
connect-app-missing = Приложението на организацията за { $network } още не е настроено, затова не могат да се свързват профили.
connect-app-setup-link = Настройте го
connect-cancel = Отказ
connect-reconnect = Свържи отново
connect-reconnect-title = Повторно свързване на канал
connect-reconnect-lead = Влезте отново в { $network } с профила на канала: Owlery подменя връзката му и публикуването продължава.
connect-reconnect-why = Мрежата каза:
connect-reconnect-hint = Влезте като { $handle }; друг профил се отказва.
connect-reconnect-with = Свържи отново чрез { $network }
connect-choose-title = Изберете профили за свързване
connect-choose-lead = { $network } позволява на Owlery да публикува от тези профили. Всеки избран става канал в { $workspace }.
connect-choose-legend = Профили
connect-choose-connected = вече е канал
connect-choose-submit = Свържи избраните
account-kind-profile = Профил
account-kind-page = Страница
account-kind-professional = Професионален профил
account-kind-organization = Страница на компания
account-kind-board = Табло
account-kind-channel = Канал
connect-done = { $count ->
    [one] Свързан е един канал.
   *[other] Свързани са { $count } канала.
}
connect-done-none = Няма нов канал: избраните профили вече бяха канали.
connect-reconnected = Каналът е свързан отново.
connect-declined-title = Не е свързано
connect-failed-title = Профилът не можа да бъде свързан
connect-declined-access-denied = Не разрешихте Owlery в { $network }, затова нищо не беше свързано. Можете да опитате отново, когато пожелаете.
connect-declined = { $network } не свърза профила, затова нищо не се промени.
connect-network-said = Мрежата каза:
connect-try-again = Свързване на профил
connect-back = Обратно към работните пространства и каналите

## Какво се обърка
connect-error-app-not-configured = Приложението на организацията за { $network } още не е настроено: администратор го добавя в Настройки → Приложения в мрежите.
connect-error-business-app-not-configured = Приложението на организацията за TikTok API for Business още не е настроено: администратор го добавя в Настройки → Приложения в мрежите.
connect-error-unknown-auth-kind = { $network } не може да се свърже по този начин.
connect-error-app-unreadable = Тайната на приложението за { $network } не може да се отвори с ключа на този сървър: въведете я отново в Настройки → Приложения в мрежите.
connect-error-missing-state = { $network } ви върна без състоянието на връзката: започнете отново.
connect-error-missing-code = { $network } ви върна без код за оторизация: започнете отново.
connect-error-unknown-state = Тази връзка за свързване вече е използвана или не е създадена от Owlery: започнете отново.
connect-error-expired-state = Свързването отне повече от 10 минути и връзката вече не работи: започнете отново.
connect-error-wrong-network = Това свързване беше започнато за друга мрежа: започнете отново.
connect-error-not-your-connection = Друг човек започна това свързване; само той може да го завърши.
connect-error-network-refused = { $network } отказа свързването.
connect-error-network-unreachable = { $network } не отговаря. Опитайте отново след малко.
connect-error-no-accounts = { $network } не посочи профил, от който Owlery може да публикува с този вход.
connect-error-already-connected = Този профил вече е канал. За да подновите връзката му, използвайте „Свържи отново“ при канала.
connect-error-different-account = Влязохте с друг профил, а не с този на канала. Излезте от { $network }, влезте с профила на канала и свържете отново.
connect-error-choice-expired = Този избор вече не е отворен (направен е или минаха 10 минути): свържете отново.
connect-error-choose-one = Изберете поне един профил за свързване.
connect-error-not-reconnectable = Този канал не може да бъде свързан отново тук.
connect-error-workspace-id-required = Изберете работното пространство, на което принадлежи каналът.
connect-error-workspace-id-unknown-workspace = Изберете едно от изброените работни пространства.
connect-error-server-required = Въведете адреса на сървъра на Mastodon, например mastodon.social.
connect-error-server-invalid-server = Това не е адрес на сървър: въведете например mastodon.social.
connect-error-server-server-not-https = Сървърът трябва да се достъпва през https:// (ключовете за достъп никога не се пращат некриптирани).
connect-error-server-server-not-public = Този адрес е на същата машина или в частна мрежа, към които Owlery не се свързва. Въведете публичния адрес на сървъра.
connect-error-server-server-not-found = Няма сървър с това име: проверете адреса.
connect-error-server-registration-refused = Сървърът не позволи на Owlery да се регистрира.
napp-webhook-url = Адрес за уебкукита (webhook)
napp-webhook-help = Поставете го като callback URL на уебкукитата на приложението; коментарите, споменаванията и съобщенията тогава пристигат веднага.
napp-verify-token = Код за потвърждение (verify token)

## Надграждане на личен канал в TikTok до същия профил като бизнес профил
connect-upgrade-link = Свържи отново като бизнес профил
connect-upgrade-heading = Бизнес профил ли е?
connect-upgrade-why = Ако { $handle } е бизнес профил в TikTok, свържете го чрез TikTok API for Business: тогава Owlery чете коментарите му във входящата кутия и отговаря на тях оттам.
connect-upgrade-keeps = Каналът остава същият: публикациите, историята и разговорите му във входящата кутия се запазват.
connect-upgrade-publishing = Owlery не публикува чрез бизнес връзка: насрочените за канала публикации тогава се провалят с обяснение и се публикуват в приложението TikTok.
connect-upgrade-app-missing = Приложението на организацията за TikTok API for Business още не е настроено.
connect-upgrade-title = Същият профил ли е?
connect-upgrade-lead = { $network } ви вписа като бизнес профила { $handle }.
connect-upgrade-channel = Този канал е свързан с лично вписване. Да се свърже ли вместо това като бизнес профила { $account }? Остава в { $workspace }.
connect-upgrade-handle-only = Само потребителското име показва, че са същият профил: двата начина на свързване именуват профила различно, а потребителско име може да премине към друг. Потвърдете само ако е същият профил в TikTok.
connect-upgrade-inbox = Owlery чете коментарите на профила във входящата кутия и отговаря на тях оттам.
connect-upgrade-submit = Да, надгради { $handle }
connect-upgrade-cancel = Не, остави го така
connect-upgraded = Каналът вече е свързан като бизнес профил: коментарите му идват във входящата кутия.
connect-error-would-downgrade = Този профил е канал, свързан като бизнес профил, чиито коментари Owlery чете и на които отговаря. Лично вписване не може това, затова нищо не е променено. За да подновите връзката, използвайте „Свържи отново“ на този канал.
connect-error-upgrade-not-allowed = Този профил вече е канал, свързан с лично вписване, в работно пространство, където не можете да управлявате канали: помолете някой, който може, да го свърже отново като бизнес профил.
connect-error-upgrade-stale = Каналът се промени, откакто се вписахте (надграден, премахнат или преименуван): свържете отново.

# Роли и права (обхват на API токените).

role-owner = Собственик
role-owner-desc = Всичко, включително назначаване на други собственици и промяна на политиката за сигурност.
role-admin = Администратор
role-admin-desc = Управлява потребители, екипи, работни пространства, канали и настройки; не може да назначава собственици.
role-publisher = Издател
role-publisher-desc = Пише, насрочва и публикува; чете входящата кутия и анализите.
role-contributor = Сътрудник
role-contributor-desc = Пише чернови, които други одобряват и публикуват.
role-approver = Одобряващ
role-approver-desc = Одобрява или отхвърля публикации, които чакат одобрение.
role-community-agent = Агент на общността
role-community-agent-desc = Отговаря на разговорите във входящата кутия, разпределя ги и ги приключва.
role-analyst = Анализатор
role-analyst-desc = Чете анализите, отчетите и входящата кутия; не променя нищо.
role-auditor = Одитор
role-auditor-desc = Чете одитния журнал и кой каква роля има; не променя нищо.
roles-help-summary = Какво може всяка роля?

perm-org-read = Преглед на организацията
perm-org-manage = Управление на настройките на организацията
perm-users-read = Преглед на потребители и роли
perm-users-manage = Управление на потребители
perm-roles-grant = Даване и отнемане на роли
perm-teams-manage = Управление на екипи
perm-workspaces-manage = Управление на работни пространства
perm-channels-read = Преглед на канали
perm-channels-manage = Управление на канали
perm-posts-draft = Писане на чернови
perm-posts-publish = Насрочване и публикуване
perm-posts-approve = Одобряване на публикации
perm-inbox-read = Четене на входящата кутия
perm-inbox-reply = Отговаряне във входящата кутия
perm-analytics-read = Преглед на анализите
perm-audit-read = Четене на одитния журнал
perm-crisis-manage = Управление на инциденти
perm-oncall-manage = Управление на графиците за дежурства

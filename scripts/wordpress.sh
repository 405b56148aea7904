#!/usr/bin/env bash
# Makes sure a real WordPress runs on this Debian machine for the hub's tests:
# Debian's `wordpress` package served by Apache (mod_php) on
# 127.0.0.1:$BIZOS_WP_PORT only, with its database in MariaDB. Installs the
# packages with apt when missing, starts MariaDB and Apache when stopped,
# installs WordPress through its install form, turns on pretty permalinks (the
# hub calls {site_url}/wp-json/...), creates an application password for the
# `admin` user and writes the peer's facts to .data/peers/wordpress.env:
#
#   BIZOS_WP_URL=http://127.0.0.1:8089
#   BIZOS_WP_USER=admin
#   BIZOS_WP_APP_PASSWORD=...
#
# Idempotent: on a machine where everything already runs it only checks, and
# keeps the saved application password while it still authenticates.
#
# What it owns (and nothing else): database and user `bizos_wp`,
# /etc/wordpress/config-bizos-wp.php, /etc/apache2/sites-available/bizos-wp.conf.
#
# Environment (defaults in brackets):
#   BIZOS_WP_PORT [8089]
set -euo pipefail

PORT="${BIZOS_WP_PORT:-8089}"
URL="http://127.0.0.1:${PORT}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$ROOT/.data/peers"
ENV_FILE="$PEERS/wordpress.env"

DB_NAME="bizos_wp"
DB_USER="bizos_wp"
DB_PASSWORD="bizos_wp"
WP_ADMIN="admin"
WP_DIR="/usr/share/wordpress"
WP_CONTENT="/var/lib/wordpress/wp-content"
# Debian's wp-config.php loads /etc/wordpress/config-$WORDPRESS_CONFIG.php.
WP_CONFIG_NAME="bizos-wp"
WP_CONFIG_FILE="/etc/wordpress/config-${WP_CONFIG_NAME}.php"
SITE="bizos-wp"
SITE_FILE="/etc/apache2/sites-available/${SITE}.conf"
# One application password per checkout, so clones sharing this WordPress do
# not revoke each other's.
APP_NAME="bizos-tests ${ROOT}"
PACKAGES=(wordpress wordpress-theme-twentytwentythree apache2 libapache2-mod-php php-mysql
  php-cli mariadb-server curl)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf 'wordpress: %s\n' "$*" >&2; }
die() { printf 'wordpress: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$PEERS"

# One run at a time on this machine: test binaries of several packages may
# call this script concurrently, and apt, MariaDB and Apache are shared.
LOCK="${TMPDIR:-/tmp}/bizos-peer-wordpress.lock"
exec 9>>"$LOCK" || die "cannot open lock file $LOCK"
chmod a+rw "$LOCK" 2>/dev/null || true
flock -w 900 9 || die "timed out waiting for $LOCK"

# detached runs a command with every descriptor above 2 closed, so a daemon it
# starts holds neither our lock nor a caller's pipe.
detached() {
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec ${fd}>&-" 2>/dev/null || true; fi
    done
    exec "$@"
  )
}

http_code() { curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 20 "$@" 2>/dev/null || true; }

# ---------------------------------------------------------------- packages

ensure_packages() {
  local missing=() pkg installed
  installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "${PACKAGES[@]}" 2>/dev/null || true)"
  for pkg in "${PACKAGES[@]}"; do
    case "$installed" in *" installed:$pkg "*) ;; *) missing+=("$pkg") ;; esac
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "apt-get update"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null \
    || log "warning: apt-get update reported errors; trying the install anyway"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# ----------------------------------------------------------------- MariaDB

mariadb_up() { $SUDO mariadb-admin ping --silent >/dev/null 2>&1; }
mysql_root() { $SUDO mariadb -uroot --batch --skip-column-names "$@"; }

ensure_mariadb() {
  if ! mariadb_up; then
    log "starting MariaDB (log: $PEERS/mariadb.log)"
    $SUDO install -d -o mysql -g mysql -m 0755 /run/mysqld
    if [ ! -d /var/lib/mysql/mysql ]; then
      log "initialising /var/lib/mysql"
      $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    # --background closes every inherited descriptor; --pidfile (the one
    # Debian's MariaDB writes) keeps a mariadbd of another root or container
    # from counting as ours.
    $SUDO start-stop-daemon --start --oknodo --background --output "$PEERS/mariadb.log" \
      --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 120); do mariadb_up && break; sleep 0.25; done
  fi
  mariadb_up || die "MariaDB does not answer on /run/mysqld/mysqld.sock (see $PEERS/mariadb.log)"

  mysql_root <<SQL || die "cannot create database $DB_NAME and user $DB_USER as MariaDB root"
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
SQL
}

# ------------------------------------------------------- config files

# put_file installs stdin as $1 (mode $2, group $3) unless it already has that
# content; it returns 0 when the file changed and 1 when it did not.
put_file() {
  local dest="$1" mode="$2" group="$3" tmp
  tmp="$(mktemp "$PEERS/.put.XXXXXX")"
  cat >"$tmp"
  if $SUDO cmp -s "$tmp" "$dest" 2>/dev/null; then
    rm -f "$tmp"
    return 1
  fi
  log "writing $dest"
  $SUDO install -o root -g "$group" -m "$mode" "$tmp" "$dest"
  rm -f "$tmp"
  return 0
}

ensure_wp_config() {
  $SUDO install -d -m 0755 /etc/wordpress
  put_file "$WP_CONFIG_FILE" 0640 www-data <<PHP || true
<?php
/* WordPress test peer of BizOS Hub; written by scripts/wordpress.sh (do not edit).
 * Debian's /usr/share/wordpress/wp-config.php loads it because the Apache site
 * bizos-wp sets WORDPRESS_CONFIG=${WP_CONFIG_NAME}. */
define('DB_NAME', '${DB_NAME}');
define('DB_USER', '${DB_USER}');
define('DB_PASSWORD', '${DB_PASSWORD}');
define('DB_HOST', 'localhost');
define('DB_CHARSET', 'utf8mb4');
/* 'local' lets application passwords work over plain HTTP on loopback. */
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HOME', '${URL}');
define('WP_SITEURL', '${URL}');
define('WP_CONTENT_DIR', '${WP_CONTENT}');
define('WP_CONTENT_URL', '${URL}/wp-content');
/* A test peer never talks to the internet: no update checks, no cron spawns. */
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_DEBUG', false);
PHP
}

# ------------------------------------------------------------------ Apache

apache_pid() {
  local pidfile pid
  # shellcheck disable=SC1091 # Debian's Apache environment, not ours
  pidfile="$(set +eu; . /etc/apache2/envvars >/dev/null 2>&1; echo "${APACHE_PID_FILE:-/var/run/apache2/apache2.pid}")"
  pid="$($SUDO cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "apache2" ]; then
    echo "$pid"
  fi
}

# mod_on and site_on read the links a2enmod and a2ensite make (a2query is slow).
mod_on() { [ -e "/etc/apache2/mods-enabled/$1.load" ]; }
site_on() { [ -e "/etc/apache2/sites-enabled/$1.conf" ]; }

apache_answers() { [ "$(http_code "$URL/wp-includes/images/blank.gif")" = "200" ]; }

ensure_apache() {
  local restart="" reload="" mod php_mod
  # shellcheck disable=SC2012 # module names are plain
  php_mod="$(ls /etc/apache2/mods-available/ 2>/dev/null | sed -n 's/^\(php[0-9.]*\)\.load$/\1/p' | sort -V | tail -n 1)"
  [ -n "$php_mod" ] || die "no PHP module in /etc/apache2/mods-available (is libapache2-mod-php installed?)"
  if ! mod_on "$php_mod"; then
    # mod_php needs the prefork MPM; Debian's own postinst switches it the same way.
    for mod in mpm_event mpm_worker; do
      if mod_on "$mod"; then $SUDO a2dismod -q "$mod" >/dev/null; fi
    done
    mod_on mpm_prefork || $SUDO a2enmod -q mpm_prefork >/dev/null
    log "enabling Apache module $php_mod"
    $SUDO a2enmod -q "$php_mod" >/dev/null || die "a2enmod $php_mod failed"
    restart=1
  fi
  for mod in rewrite alias env dir; do
    if ! mod_on "$mod"; then
      log "enabling Apache module $mod"
      $SUDO a2enmod -q "$mod" >/dev/null || die "a2enmod $mod failed"
      restart=1
    fi
  done

  # The rewrite rules live here rather than in /usr/share/wordpress/.htaccess:
  # that file is a symlink to /etc/wordpress/htaccess, a dpkg conffile shared
  # by every site that serves Debian's WordPress, and www-data cannot write it.
  # AllowOverride All still lets an .htaccess there add to them.
  if put_file "$SITE_FILE" 0644 root <<CONF; then reload=1; fi
# WordPress test peer of BizOS Hub on ${URL} only; written by
# scripts/wordpress.sh (do not edit). Other sites are untouched.
Listen 127.0.0.1:${PORT}
<VirtualHost 127.0.0.1:${PORT}>
    ServerName 127.0.0.1
    DocumentRoot ${WP_DIR}
    DirectoryIndex index.php index.html
    # Debian's wp-config.php loads /etc/wordpress/config-${WP_CONFIG_NAME}.php.
    SetEnv WORDPRESS_CONFIG ${WP_CONFIG_NAME}
    Alias /wp-content ${WP_CONTENT}
    ErrorLog \${APACHE_LOG_DIR}/${SITE}-error.log
    CustomLog \${APACHE_LOG_DIR}/${SITE}-access.log combined

    <Directory ${WP_DIR}>
        Options FollowSymLinks
        AllowOverride All
        Require all granted
        # Pretty permalinks (WordPress's own .htaccess rules).
        RewriteEngine On
        RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
        RewriteBase /
        RewriteRule ^index\.php$ - [L]
        RewriteCond %{REQUEST_FILENAME} !-f
        RewriteCond %{REQUEST_FILENAME} !-d
        RewriteRule . /index.php [L]
    </Directory>
    <Directory ${WP_CONTENT}>
        Options FollowSymLinks
        Require all granted
    </Directory>
</VirtualHost>
CONF
  if ! site_on "$SITE"; then
    log "enabling Apache site $SITE"
    $SUDO a2ensite -q "$SITE" >/dev/null || die "a2ensite $SITE failed"
    reload=1
  fi

  local pid
  pid="$(apache_pid)"
  if [ -n "$pid" ] && [ -z "$restart$reload" ] && apache_answers; then
    return 0
  fi
  local out
  out="$($SUDO apache2ctl configtest 2>&1)" || die "Apache configuration is broken: $out"
  if [ -z "$pid" ]; then
    log "starting Apache"
    detached $SUDO apache2ctl start >>"$PEERS/apache2ctl.log" 2>&1 </dev/null \
      || die "apache2ctl start failed (see $PEERS/apache2ctl.log and /var/log/apache2/error.log)"
  elif [ -n "$restart" ]; then
    # A new module, possibly a new MPM: a graceful reload is not enough.
    log "restarting Apache (modules changed)"
    $SUDO apache2ctl stop >>"$PEERS/apache2ctl.log" 2>&1 </dev/null || true
    for _ in $(seq 1 100); do [ -z "$(apache_pid)" ] && break; sleep 0.1; done
    detached $SUDO apache2ctl start >>"$PEERS/apache2ctl.log" 2>&1 </dev/null \
      || die "apache2ctl start failed (see $PEERS/apache2ctl.log and /var/log/apache2/error.log)"
  else
    log "reloading Apache"
    detached $SUDO apache2ctl graceful >>"$PEERS/apache2ctl.log" 2>&1 </dev/null \
      || die "apache2ctl graceful failed (see $PEERS/apache2ctl.log)"
  fi
  for _ in $(seq 1 100); do apache_answers && break; sleep 0.1; done
  apache_answers || die "Apache does not serve WordPress on $URL (port in use? see /var/log/apache2/error.log and $PEERS/apache2ctl.log)"
}

# --------------------------------------------------------------- WordPress

# wp_php runs the PHP code on stdin inside WordPress (through wp-load.php) as
# www-data, the way the site itself runs; arguments become $argv[1..].
wp_php() {
  {
    cat <<PHP
<?php
\$_SERVER['HTTP_HOST'] = '127.0.0.1:${PORT}';
\$_SERVER['SERVER_NAME'] = '127.0.0.1';
\$_SERVER['SERVER_PORT'] = '${PORT}';
\$_SERVER['REQUEST_URI'] = '/';
\$_SERVER['REQUEST_METHOD'] = 'GET';
\$_SERVER['WORDPRESS_CONFIG'] = '${WP_CONFIG_NAME}';
require '${WP_DIR}/wp-load.php';
?>
PHP
    cat
  } | $SUDO runuser -u www-data -- php -d display_errors=stderr -- "$@"
}

wp_option() {
  mysql_root -e "SELECT option_value FROM \`$DB_NAME\`.wp_options WHERE option_name = '$1'" 2>/dev/null || true
}

wp_installed() { [ -n "$(wp_option siteurl)" ]; }

ensure_installed() {
  wp_installed && return 0
  log "installing WordPress at $URL"
  local pass body
  pass="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
  body="$(mktemp "$PEERS/.install.XXXXXX")"
  local code
  code="$(curl -s --noproxy '*' -o "$body" -w '%{http_code}' --max-time 300 \
    --data-urlencode "weblog_title=BizOS test peer" \
    --data-urlencode "user_name=${WP_ADMIN}" \
    --data-urlencode "admin_password=${pass}" \
    --data-urlencode "admin_password2=${pass}" \
    --data-urlencode "pw_weak=1" \
    --data-urlencode "admin_email=admin@example.com" \
    --data-urlencode "blog_public=0" \
    --data-urlencode "language=" \
    "$URL/wp-admin/install.php?step=2" || true)"
  if ! wp_installed; then
    local text
    text="$(sed -e 's/<[^>]*>/ /g' "$body" | tr -s ' \n' ' ' | head -c 600)"
    rm -f "$body"
    die "WordPress install form answered HTTP $code: $text"
  fi
  rm -f "$body"
  # Kept for logging in to wp-admin by hand; tests use the application password.
  ADMIN_PASSWORD="$pass"
}

ensure_permalinks() {
  [ "$(wp_option permalink_structure)" = "/%postname%/" ] && return 0
  log "setting permalink structure /%postname%/"
  wp_php <<'PHP' || die "cannot set the permalink structure"
<?php
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
flush_rewrite_rules(false);
PHP
}

saved() { { sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null || true; } | tail -n 1; }

app_password_works() {
  [ -n "$1" ] && [ "$(http_code -u "${WP_ADMIN}:$1" "$URL/wp-json/wp/v2/users/me?context=edit")" = "200" ]
}

ensure_app_password() {
  APP_PASSWORD="$(saved BIZOS_WP_APP_PASSWORD)"
  app_password_works "$APP_PASSWORD" && return 0
  log "creating an application password for $WP_ADMIN"
  APP_PASSWORD="$(wp_php "$APP_NAME" "$WP_ADMIN" <<'PHP'
<?php
$name = $argv[1];
$user = get_user_by('login', $argv[2]);
if (!$user) { fwrite(STDERR, "no user {$argv[2]}\n"); exit(1); }
if (!wp_is_application_passwords_available_for_user($user)) {
    fwrite(STDERR, "application passwords are not available (WP_ENVIRONMENT_TYPE is " . wp_get_environment_type() . ")\n");
    exit(1);
}
foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
    if ($item['name'] === $name) {
        WP_Application_Passwords::delete_application_password($user->ID, $item['uuid']);
    }
}
$created = WP_Application_Passwords::create_new_application_password($user->ID, array('name' => $name));
if (is_wp_error($created)) { fwrite(STDERR, $created->get_error_message() . "\n"); exit(1); }
echo $created[0];
PHP
)" || die "cannot create an application password"
  [ -n "$APP_PASSWORD" ] || die "WordPress returned an empty application password"
}

write_env() {
  local admin_password="${ADMIN_PASSWORD:-$(saved BIZOS_WP_ADMIN_PASSWORD)}" tmp
  tmp="$(mktemp "$PEERS/.wordpress.env.XXXXXX")"
  {
    echo "# WordPress test peer; written by scripts/wordpress.sh"
    echo "BIZOS_WP_URL=$URL"
    echo "BIZOS_WP_USER=$WP_ADMIN"
    echo "BIZOS_WP_APP_PASSWORD=$APP_PASSWORD"
    if [ -n "$admin_password" ]; then echo "BIZOS_WP_ADMIN_PASSWORD=$admin_password"; fi
  } >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

verify() {
  local auth="${WP_ADMIN}:${APP_PASSWORD}" code body id
  code="$(http_code -u "$auth" "$URL/wp-json/wp/v2/users/me?context=edit")"
  [ "$code" = "200" ] || die "GET $URL/wp-json/wp/v2/users/me answered HTTP $code with the application password"
  body="$(curl -s --noproxy '*' --max-time 30 -u "$auth" -H 'Content-Type: application/json' \
    -d '{"title":"bizos peer check","status":"draft"}' -w '\n%{http_code}' "$URL/wp-json/wp/v2/posts" || true)"
  code="${body##*$'\n'}"
  [ "$code" = "201" ] || die "POST $URL/wp-json/wp/v2/posts answered HTTP $code: ${body%$'\n'*}"
  # shellcheck disable=SC2016 # PHP code, not shell
  id="$(printf '%s' "${body%$'\n'*}" | php -r '$p = json_decode(stream_get_contents(STDIN), true); echo is_array($p) && isset($p["id"]) ? (int) $p["id"] : "";')"
  [ -n "$id" ] || die "POST $URL/wp-json/wp/v2/posts returned no id"
  code="$(http_code -u "$auth" -X DELETE "$URL/wp-json/wp/v2/posts/${id}?force=true")"
  [ "$code" = "200" ] || die "DELETE $URL/wp-json/wp/v2/posts/$id answered HTTP $code"
}

ADMIN_PASSWORD=""
APP_PASSWORD=""
ensure_packages
ensure_mariadb
ensure_wp_config
ensure_apache
ensure_installed
ensure_permalinks
ensure_app_password
write_env
verify
echo "wordpress: ready at $URL"

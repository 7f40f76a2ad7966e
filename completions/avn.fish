# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_avn_global_optspecs
    string join \n url= auth-token= project= config= auth-ca= json format= v/verbose show-http show-secrets request-timeout= insecure pg-insecure-tls idle-timeout= max-age= h/help V/version
end

function __fish_avn_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_avn_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_avn_using_subcommand
    set -l cmd (__fish_avn_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c avn -n "__fish_avn_needs_command" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_needs_command" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_needs_command" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_needs_command" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_needs_command" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_needs_command" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_needs_command" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_needs_command" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_needs_command" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_needs_command" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_needs_command" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_needs_command" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_needs_command" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_needs_command" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_needs_command" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_needs_command" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_needs_command" -f -a "service" -d 'Manage services: list, create, fork, wait for, update and terminate them'
complete -c avn -n "__fish_avn_needs_command" -f -a "user" -d 'Manage your login'
complete -c avn -n "__fish_avn_needs_command" -f -a "project" -d 'Manage the default project'
complete -c avn -n "__fish_avn_needs_command" -f -a "local" -d 'Run an Aiven-compatible control plane with real PostgreSQL on this machine'
complete -c avn -n "__fish_avn_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c avn -n "__fish_avn_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -s h -l help -d 'Print help'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "types" -d 'List the service types and their options'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "plans" -d 'List service plans'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "list" -d 'List services'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "get" -d 'Show one service'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "create" -d 'Create a service, or a fork of one'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "fork" -d 'Fork a service, to its latest transaction or to an instant, and wait until it is ready'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "rename" -d 'Rename a service safely: stop writes, fork, verify, repoint, delete'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "wait" -d 'Wait until services are running'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "update" -d 'Change a service\'s plan, power, protection or configuration'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "terminate" -d 'Delete services and all their data'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "backup-list" -d 'List a service\'s backups and its point-in-time recovery window'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "integration-list" -d 'List a service\'s integrations'
complete -c avn -n "__fish_avn_using_subcommand service; and not __fish_seen_subcommand_from types plans list get create fork rename wait update terminate backup-list integration-list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from types" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -s t -l service-type -d 'List the plans of this service type (default: every type)' -r -f -a "pg\t''
mysql\t''
kafka\t''
kafka_connect\t''
kafka_mirrormaker\t''
opensearch\t''
valkey\t''
clickhouse\t''
grafana\t''
cassandra\t''
dragonfly\t''
flink\t''
m3db\t''
thanos\t''
alloydbomni\t''"
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l cloud -d 'Show only plans offered in this cloud, with their disk and price there' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from plans" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -s t -l service-type -d 'Show only services of this type' -r -f -a "pg\t''
mysql\t''
kafka\t''
kafka_connect\t''
kafka_mirrormaker\t''
opensearch\t''
valkey\t''
clickhouse\t''
grafana\t''
cassandra\t''
dragonfly\t''
flink\t''
m3db\t''
thanos\t''
alloydbomni\t''"
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s t -l service-type -d 'Create a service of this type (TYPE:PLAN also sets the plan)' -r -f -a "pg\t''
mysql\t''
kafka\t''
kafka_connect\t''
kafka_mirrormaker\t''
opensearch\t''
valkey\t''
clickhouse\t''
grafana\t''
cassandra\t''
dragonfly\t''
flink\t''
m3db\t''
thanos\t''
alloydbomni\t''"
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s p -l plan -d 'Use this plan (TYPE:PLAN wins)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l cloud -d 'Create the service in this cloud [default: the project\'s]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s c -d 'Set a configuration option, typed by the schema (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l user-config-json -d 'Start from this user_config object (JSON, or @FILE to read it)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l disk-space-gib -d 'Give the service this much disk (GiB)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l project-vpc-id -d 'Put the service in this project VPC' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l static-ip -d 'Attach this static IP address (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l service-to-fork-from -d 'Fork the new service from this service' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l project-to-fork-from -d 'Fork from a service in this project' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l recovery-target-time -d 'Restore the fork to this instant (needs a fork source)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l fork-from -d 'Fork from this service, with every check of `avn service fork` (type, plan, cloud default to its)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l pitr -d 'With --fork-from: restore to this instant (RFC 3339, \'YYYY-MM-DD HH:MM:SS\' UTC, -90m, @UNIX, latest)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l timeout -d 'Give up waiting after this long: seconds, or units like 5m [default: 30m]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l enable-termination-protection -d 'Protect the service against termination and powering off'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l no-fail-if-exists -d 'Succeed without changes when a service of that name already exists'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l no-project-vpc -d 'Put the service on the public internet even if the cloud has a VPC'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l wait -d 'Wait until the service is running'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s f -l force -d 'Skip confirmations (accepted for compatibility)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l pitr -d 'Restore to this instant instead of the latest transaction (see the time forms above)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l backup -d 'Restore from this backup (see `avn service backup-list SOURCE`)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l source-project -d 'Fork a service of this project [default: the current project]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s t -l service-type -d 'Check the fork has this type [default: the source\'s]' -r -f -a "pg\t''
mysql\t''
kafka\t''
kafka_connect\t''
kafka_mirrormaker\t''
opensearch\t''
valkey\t''
clickhouse\t''
grafana\t''
cassandra\t''
dragonfly\t''
flink\t''
m3db\t''
thanos\t''
alloydbomni\t''"
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s p -l plan -d 'Put the fork on this plan [default: the source\'s]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l cloud -d 'Put the fork in this cloud [default: the source\'s]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l disk-space-gib -d 'Give the fork this much disk (GiB)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s c -d 'Set a configuration option on the fork, typed by the schema (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l timeout -d 'Give up waiting after this long: seconds, or units like 20m [default: 30m]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l copy-integrations -d 'Recreate the source\'s integrations on the fork'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l copy-tags -d 'Copy the source\'s tags to the fork'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l enable-termination-protection -d 'Protect the fork against termination and powering off'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l if-not-exists -d 'Succeed without a second fork when NEW already is a fork of SOURCE (for retried CI jobs)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l dry-run -d 'Run every check and print the request and the plan, creating nothing'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l no-wait -d 'Return once the fork is accepted instead of waiting until it is ready'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from fork" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s p -l plan -d 'Put NEW on this plan [default: OLD\'s]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l cloud -d 'Put NEW in this cloud [default: OLD\'s]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s c -d 'Set a configuration option on NEW (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l repoint-env -d 'Point this env file at NEW: its URI, host and port, or only VAR (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l repoint-exec -d 'Run this shell command to repoint clients; a non-zero exit stops before the delete' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l verify -d 'How to verify NEW: counts (exact row counts) or checksum (also every table\'s contents: reads every row of both services once)' -r -f -a "counts\t''
checksum\t''"
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l timeout -d 'Give up waiting for the fork after this long: seconds, or units like 20m [default: 30m]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l keep-source -d 'Keep OLD (read-only) instead of deleting it'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l writes-stopped -d 'Confirm that writes to OLD are already stopped (required for types other than PostgreSQL)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l remove-termination-protection -d 'Lift OLD\'s termination protection at the last step so it can be deleted'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s y -l yes -d 'Delete OLD without asking'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l dry-run -d 'Print each step\'s concrete action and change nothing'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l resume -d 'Continue an interrupted rename from its journal'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l force -d 'Go on although role-level settings can re-enable writes on OLD (they are listed)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from rename" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l timeout -d 'Give up after this long: seconds, or units like 5m [default: 30m]' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from wait" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s c -d 'Set a configuration option, typed by the schema (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l remove-option -d 'Remove a configuration option (can be repeated)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s p -l plan -d 'Move the service to this plan' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l disk-space-gib -d 'Give the service this much disk (GiB)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l cloud -d 'Move the service to this cloud' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l power-on -d 'Power the service on'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l power-off -d 'Power the service off (data is kept)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l enable-termination-protection -d 'Protect the service against termination and powering off'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l disable-termination-protection -d 'Allow the service to be terminated'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s f -l force -d 'Skip confirmations (accepted for compatibility)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -s f -l force -l yes -d 'Skip the confirmation'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from terminate" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from backup-list" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from integration-list" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "types" -d 'List the service types and their options'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "plans" -d 'List service plans'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "list" -d 'List services'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "get" -d 'Show one service'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a service, or a fork of one'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "fork" -d 'Fork a service, to its latest transaction or to an instant, and wait until it is ready'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename a service safely: stop writes, fork, verify, repoint, delete'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait until services are running'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a service\'s plan, power, protection or configuration'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "terminate" -d 'Delete services and all their data'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "backup-list" -d 'List a service\'s backups and its point-in-time recovery window'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "integration-list" -d 'List a service\'s integrations'
complete -c avn -n "__fish_avn_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -s h -l help -d 'Print help'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -f -a "login" -d 'Log in with an API token'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -f -a "logout" -d 'Forget the stored API token'
complete -c avn -n "__fish_avn_using_subcommand user; and not __fish_seen_subcommand_from login logout help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l tenant -d 'Accepted for compatibility with the official client' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l token -d 'Log in with an API token (the only login method this tool supports)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from login" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -s h -l help -d 'Print help'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from logout" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "login" -d 'Log in with an API token'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "logout" -d 'Forget the stored API token'
complete -c avn -n "__fish_avn_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -s h -l help -d 'Print help'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -f -a "list" -d 'List the projects your token can see'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -f -a "switch" -d 'Set the default project'
complete -c avn -n "__fish_avn_using_subcommand project; and not __fish_seen_subcommand_from list switch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from switch" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the projects your token can see'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from help" -f -a "switch" -d 'Set the default project'
complete -c avn -n "__fish_avn_using_subcommand project; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -s h -l help -d 'Print help'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -f -a "up" -d 'Start the local control plane in the background and use it'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -f -a "down" -d 'Stop the local control plane and every service process'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -f -a "status" -d 'Show the local control plane, its services and their processes'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -f -a "serve" -d 'Run the local control plane in the foreground'
complete -c avn -n "__fish_avn_using_subcommand local; and not __fish_seen_subcommand_from up down status serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l port -d 'Listen on this port on 127.0.0.1 [default: 41300, or a free one]' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l data-dir -d 'Keep state and clusters in this directory [default: ~/.local/share/avn/local]' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l print-env -d 'Print `export AIVEN_WEB_URL=... AIVEN_AUTH_TOKEN=... AIVEN_PROJECT=...` lines for other tools'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from up" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l data-dir -d 'Use the control plane whose data is in this directory' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l purge -d 'Also delete every local service and its data'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l data-dir -d 'Use the control plane whose data is in this directory' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l listen -d 'Listen on this loopback address (port 0 picks a free one)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l data-dir -d 'Keep state and clusters in this directory' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l backup-interval -d 'Take a base backup of each service this often: seconds, or units like 10m' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from serve" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "up" -d 'Start the local control plane in the background and use it'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "down" -d 'Stop the local control plane and every service process'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show the local control plane, its services and their processes'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Run the local control plane in the foreground'
complete -c avn -n "__fish_avn_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand completion" -l url -d 'Use this API base URL' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l auth-token -d 'Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l project -d 'Work in this project instead of the default one' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l config -d 'Read the client config from this file' -r -F
complete -c avn -n "__fish_avn_using_subcommand completion" -l auth-ca -d 'Trust this CA bundle (PEM) for the API\'s TLS certificate' -r -F
complete -c avn -n "__fish_avn_using_subcommand completion" -l format -d 'Print one line per item from a template such as \'{service_name} {state}\'' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l request-timeout -d 'Give up on one HTTP request after this long (seconds, or like 30s, 2m)' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l idle-timeout -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l max-age -d 'Accepted for compatibility with the official client; connections are pooled automatically' -r
complete -c avn -n "__fish_avn_using_subcommand completion" -l json -d 'Print the API objects as JSON on stdout'
complete -c avn -n "__fish_avn_using_subcommand completion" -s v -l verbose -d 'Show more detail (can be repeated)'
complete -c avn -n "__fish_avn_using_subcommand completion" -l show-http -d 'Print each HTTP request and response on stderr (token and passwords masked)'
complete -c avn -n "__fish_avn_using_subcommand completion" -l show-secrets -d 'Show passwords in tables, details and messages too (--json and --format always carry them)'
complete -c avn -n "__fish_avn_using_subcommand completion" -l insecure -d 'Allow plain http:// to hosts other than localhost'
complete -c avn -n "__fish_avn_using_subcommand completion" -l pg-insecure-tls -d 'Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require (TLS is still required; by default its certificate must chain to the project\'s CA)'
complete -c avn -n "__fish_avn_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avn -n "__fish_avn_using_subcommand completion" -s V -l version -d 'Print version'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "service" -d 'Manage services: list, create, fork, wait for, update and terminate them'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "user" -d 'Manage your login'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "project" -d 'Manage the default project'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "local" -d 'Run an Aiven-compatible control plane with real PostgreSQL on this machine'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "completion" -d 'Print a shell completion script'
complete -c avn -n "__fish_avn_using_subcommand help; and not __fish_seen_subcommand_from service user project local completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "types" -d 'List the service types and their options'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "plans" -d 'List service plans'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "list" -d 'List services'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "get" -d 'Show one service'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "create" -d 'Create a service, or a fork of one'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "fork" -d 'Fork a service, to its latest transaction or to an instant, and wait until it is ready'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "rename" -d 'Rename a service safely: stop writes, fork, verify, repoint, delete'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "wait" -d 'Wait until services are running'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "update" -d 'Change a service\'s plan, power, protection or configuration'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "terminate" -d 'Delete services and all their data'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "backup-list" -d 'List a service\'s backups and its point-in-time recovery window'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "integration-list" -d 'List a service\'s integrations'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "login" -d 'Log in with an API token'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "logout" -d 'Forget the stored API token'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from project" -f -a "list" -d 'List the projects your token can see'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from project" -f -a "switch" -d 'Set the default project'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "up" -d 'Start the local control plane in the background and use it'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "down" -d 'Stop the local control plane and every service process'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "status" -d 'Show the local control plane, its services and their processes'
complete -c avn -n "__fish_avn_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "serve" -d 'Run the local control plane in the foreground'

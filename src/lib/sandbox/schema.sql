-- The Kasm tables kasmctl reads and writes (../shared/reference/kasm-schema.md, 1.19 column names).
-- Used by the sandbox's real PostgreSQL. Timestamps are naive UTC, as in Kasm.
-- Written for the newest release: `-- kasm X.Y+` at the end of a line, or a block between
-- `-- kasm X.Y+ {` and `-- }`, is what releases before X.Y lack (schema.ts leaves it out for them).
-- Kept as 1.19 in every variant: the memory columns' *_bytes names (the API still answers with the
-- release's own JSON names).

CREATE TABLE installation (
  installation_id uuid PRIMARY KEY DEFAULT gen_random_uuid()
);

CREATE TABLE alembic_version (
  version_num varchar(32) PRIMARY KEY
);

CREATE TABLE zones (
  zone_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  zone_name varchar NOT NULL UNIQUE,
  load_strategy varchar NOT NULL DEFAULT 'least_load',
  prioritize_static_agents boolean NOT NULL DEFAULT true,
  search_alternate_zones boolean NOT NULL DEFAULT true,
  allow_origin_domain varchar NOT NULL DEFAULT '$request_host$',
  upstream_auth_address varchar NOT NULL DEFAULT '$request_host$',
  proxy_connections boolean NOT NULL DEFAULT true,
  proxy_hostname varchar NOT NULL DEFAULT '$request_host$',
  proxy_path varchar NOT NULL DEFAULT 'desktop',
  proxy_port integer NOT NULL DEFAULT 443,
  primary_manager_id uuid,
  proxy_rdp_client_connections boolean NOT NULL DEFAULT true, -- kasm 1.16+
  proxy_rdp_hostname varchar NOT NULL DEFAULT '$request_host$', -- kasm 1.19+
  proxy_rdp_port integer NOT NULL DEFAULT 443, -- kasm 1.19+
  verify_rdp_client_ip boolean NOT NULL DEFAULT false, -- kasm 1.19+
  enable_rdp_https_gw boolean NOT NULL DEFAULT true, -- kasm 1.19+
  enable_rdp_https_gw_dlp boolean NOT NULL DEFAULT false, -- kasm 1.19+
  enable_rdp_direct_login boolean NOT NULL DEFAULT false -- kasm 1.19+
);

CREATE TABLE managers (
  manager_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  manager_hostname varchar,
  manager_version varchar,
  first_reported timestamp,
  last_reported timestamp,
  zone_id uuid NOT NULL REFERENCES zones (zone_id),
  enabled boolean DEFAULT true,
  operational_status varchar(48),
  cores integer,
  cpu_percent double precision,
  memory_stats jsonb,
  disk_stats jsonb
);

ALTER TABLE zones ADD FOREIGN KEY (primary_manager_id) REFERENCES managers (manager_id) ON DELETE SET NULL;

CREATE TABLE users (
  user_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username varchar(255) NOT NULL UNIQUE,
  first_name varchar,
  last_name varchar,
  created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE images (
  image_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar NOT NULL,
  friendly_name varchar,
  image_type varchar NOT NULL DEFAULT 'Container',
  cores double precision NOT NULL DEFAULT 2,
  memory_bytes bigint NOT NULL DEFAULT 2768000000,
  gpus integer NOT NULL DEFAULT 0,
  enabled boolean NOT NULL DEFAULT true,
  restrict_to_zone boolean NOT NULL DEFAULT false,
  zone_id uuid REFERENCES zones (zone_id) ON DELETE SET NULL,
  session_time_limit integer,
  categories jsonb DEFAULT '[]',
  require_gpu boolean NOT NULL DEFAULT false,
  cpu_allocation_method varchar NOT NULL DEFAULT 'Inherit',
  uncompressed_size_bytes bigint
);

CREATE TABLE server_pools (
  server_pool_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  server_pool_name varchar NOT NULL,
  server_pool_type varchar NOT NULL DEFAULT 'Docker Agent',
  server_assignment_enabled boolean NOT NULL DEFAULT true -- kasm 1.19+
);

-- Where autoscaled servers come from (AWS, Azure, Proxmox...); the sandbox has one simulated provider.
CREATE TABLE vm_provider_configs (
  vm_provider_config_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vm_provider_name varchar NOT NULL,
  vm_provider_display_name varchar NOT NULL,
  max_instances integer NOT NULL DEFAULT 10
);

CREATE TABLE autoscale_configs (
  autoscale_config_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  autoscale_config_name varchar NOT NULL,
  autoscale_type varchar NOT NULL DEFAULT 'Docker Agent',
  enabled boolean NOT NULL DEFAULT true,
  zone_id uuid NOT NULL REFERENCES zones (zone_id),
  server_pool_id uuid REFERENCES server_pools (server_pool_id) ON DELETE SET NULL,
  aggressive_scaling boolean DEFAULT false,
  downscale_backoff integer DEFAULT 900,
  require_checkin boolean DEFAULT true,
  minimum_pool_standby_sessions integer DEFAULT 0,
  max_simultaneous_sessions_per_server integer DEFAULT 1,
  max_simultaneous_users integer, -- kasm 1.19+
  standby_cores integer DEFAULT 0,
  standby_memory_bytes bigint DEFAULT 0,
  standby_gpus integer DEFAULT 0,
  reusable boolean DEFAULT false,
  agent_cores_override integer DEFAULT 0,
  agent_memory_override_bytes bigint DEFAULT 0,
  agent_gpus_override integer DEFAULT 0,
  register_dns boolean DEFAULT false,
  connection_type varchar,
  connection_port integer,
  connection_username varchar,
  connection_info varchar,
  vm_provider_config_id uuid REFERENCES vm_provider_configs (vm_provider_config_id) ON DELETE SET NULL,
  rotate_servers_in_days integer, -- kasm 1.19+
  rotate_servers_pre_warm_minutes integer, -- kasm 1.19+
  -- The autoscaler's own bookkeeping: when it last created a server, and since when it has wanted to delete one.
  last_provision timestamp,
  request_downscale_at timestamp
);

CREATE TABLE schedules (
  schedule_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  autoscale_config_id uuid NOT NULL REFERENCES autoscale_configs (autoscale_config_id) ON DELETE CASCADE,
  days_of_the_week jsonb NOT NULL DEFAULT '[]',
  active_start_time varchar NOT NULL,
  active_end_time varchar NOT NULL,
  timezone varchar NOT NULL DEFAULT 'UTC'
);

CREATE TABLE servers (
  server_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  server_type varchar(100) NOT NULL DEFAULT 'host',
  enabled boolean NOT NULL DEFAULT true,
  hostname varchar(255),
  friendly_name varchar,
  port integer DEFAULT 443,
  public_ip varchar,
  provider varchar(100),
  instance_id varchar(100),
  zone_id uuid REFERENCES zones (zone_id) ON DELETE SET NULL,
  manager_id uuid REFERENCES managers (manager_id) ON DELETE SET NULL,
  last_reported timestamp,
  operational_status varchar(48) DEFAULT 'running',
  agent_version varchar,
  cores integer DEFAULT 0,
  cores_override integer DEFAULT 0,
  memory_bytes bigint DEFAULT 0,
  memory_override_bytes bigint DEFAULT 0,
  gpus_override integer DEFAULT 0,
  cpu_percent double precision,
  memory_stats json,
  disk_stats json,
  docker_info json,
  container_limit integer,
  max_simultaneous_sessions integer DEFAULT 1,
  max_simultaneous_users integer, -- kasm 1.19+
  prune_images_mode varchar DEFAULT 'Normal',
  drain_time timestamp, -- kasm 1.19+
  server_pool_id uuid REFERENCES server_pools (server_pool_id) ON DELETE SET NULL,
  autoscale_config_id uuid REFERENCES autoscale_configs (autoscale_config_id) ON DELETE SET NULL,
  server_template_id uuid, -- kasm 1.19+
  gpu_exclusions json, -- kasm 1.19+
  agent_installed boolean DEFAULT false,
  use_user_private_key boolean DEFAULT false,
  created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
  connection_type varchar,
  connection_port integer,
  connection_username varchar,
  connection_password varchar,
  connection_info varchar,
  tags json
);

CREATE TABLE connection_proxies (
  connection_proxy_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connection_proxy_type varchar NOT NULL DEFAULT 'GUAC',
  server_address varchar NOT NULL,
  server_port integer NOT NULL DEFAULT 443,
  proxy_port integer,
  zone_id uuid NOT NULL REFERENCES zones (zone_id),
  auth_token varchar,
  first_reported timestamp,
  last_reported timestamp,
  operational_status varchar(48) DEFAULT 'running'
);

CREATE TABLE kasms (
  kasm_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users (user_id),
  image_id uuid REFERENCES images (image_id),
  server_id uuid REFERENCES servers (server_id) ON DELETE CASCADE,
  operational_status varchar(48) NOT NULL DEFAULT 'running',
  operational_message varchar,
  operational_progress integer DEFAULT 100,
  created_date timestamp NOT NULL,
  start_date timestamp,
  keepalive_date timestamp NOT NULL,
  expiration_date timestamp NOT NULL,
  container_id varchar(255),
  container_ip varchar,
  hostname varchar(255),
  cores double precision,
  gpus integer DEFAULT 0,
  memory_bytes bigint,
  is_standby boolean DEFAULT false,
  share_id varchar(48),
  docker_network varchar,
  connection_proxy_id uuid,
  queued_tasks jsonb
);
CREATE INDEX kasms_server_id_idx ON kasms (server_id);

CREATE TABLE accounting (
  account_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kasm_id uuid,
  user_id uuid,
  user_name varchar(255),
  image_id uuid,
  image_name varchar,
  image_friendly_name varchar,
  start_date timestamp,
  destroyed_date timestamp,
  destroy_reason varchar(32),
  usage_hours double precision,
  server_id uuid,
  server_hostname varchar,
  zone_id uuid,
  zone_name varchar,
  created_date timestamp,
  user_ip varchar,
  is_queued boolean DEFAULT false
);

CREATE TABLE settings (
  setting_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  category varchar(255) NOT NULL,
  title varchar(255),
  value varchar,
  value_type varchar NOT NULL DEFAULT 'string',
  description text,
  services_restart varchar(255),
  sanitize boolean DEFAULT false,
  UNIQUE (category, name)
);

CREATE TABLE api_configs (
  api_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar NOT NULL,
  api_key varchar(12) NOT NULL UNIQUE,
  api_key_secret_hash varchar(128) NOT NULL,
  salt varchar(64) NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  read_only boolean NOT NULL DEFAULT false,
  expires timestamp,
  last_used timestamp,
  created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE group_permissions (
  group_permission_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  api_id uuid REFERENCES api_configs (api_id) ON DELETE CASCADE,
  permission_id integer NOT NULL
);

-- The big one: platform logs ingested by the API (1.15 model). Purged by key range over ingest_date.
CREATE TABLE logs (
  log_id bigserial PRIMARY KEY,
  ingest_date timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
  host varchar,
  levelname varchar(20),
  metric_name varchar,
  kasm_user_name varchar,
  server_id uuid,
  data jsonb,
  cpu_percent double precision,
  memory_stats jsonb,
  disk_stats jsonb,
  gpu_percent double precision
);
CREATE INDEX logs_ingest_date_idx ON logs (ingest_date);
CREATE INDEX logs_host_idx ON logs (host);
CREATE INDEX logs_levelname_idx ON logs (levelname);
CREATE INDEX logs_metric_name_idx ON logs (metric_name);
CREATE INDEX logs_kasm_user_name_idx ON logs (kasm_user_name);

-- Kasm 1.19 adds system_metrics, which grows with time as logs does (kasmtech/workspaces-issues#897).
-- Its columns were in no schema we could check: these are stand-ins, and kasmctl assumes none of
-- their names. It dates the rows by the table's one indexed timestamp column, found in the catalog.
-- Older Kasm versions have no such table: whatever reads it tolerates its absence.
-- kasm 1.19+ {
CREATE TABLE system_metrics (
  system_metric_id bigserial PRIMARY KEY,
  created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
  server_id uuid,
  hostname varchar,
  metrics jsonb
);
CREATE INDEX system_metrics_created_idx ON system_metrics (created);
-- }

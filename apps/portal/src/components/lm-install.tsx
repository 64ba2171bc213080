/**
 * Installing the License Manager from the packages this License Center serves (GET /v1/lm-packages), for the bind
 * wizard: the system to install on (the visitor's own when there are packages for it), each package's file, size
 * and sha256, and the exact commands for the tarball and the .deb. The download links in the commands are made when
 * they are shown (POST /v1/lm-packages/{id}/link) and work for minutes, without a login, so curl works on a server.
 */
import { useEffect, useId, useState } from 'react';
import { api, messageOf } from '../api';
import type { LmDownloadLink, LmPackages, PackageView } from '../api';
import { dayTime } from '../format';
import { debCommands, linkAt, lmSystems, tarballCommands, visitorSystem } from '../lm-packages';
import type { LmKind, LmSystem } from '../lm-packages';
import { Commands, LM_CONFIG } from './commands';
import { PackageFacts } from './package-facts';
import { ErrorNotice, Loading } from './page';

const KINDS: { kind: LmKind; title: string; commands: typeof tarballCommands }[] = [
  { kind: 'deb', title: '.deb package: Debian, Ubuntu', commands: debCommands },
  { kind: 'tarball', title: 'Tarball: any Linux (nothing else needed)', commands: tarballCommands },
];

export function LmInstall() {
  const [systems, setSystems] = useState<LmSystem<PackageView>[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string>('');
  const selectId = useId();
  const visitor = visitorSystem(navigator.userAgent);

  useEffect(() => {
    let current = true;
    api<LmPackages>('GET', '/v1/lm-packages').then(
      (answer) => {
        if (!current) return;
        const found = lmSystems(answer.items);
        setSystems(found);
        setChosen((was) => was || (found.find((s) => s.system === visitor) ?? found[0])?.system || '');
      },
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [visitor]);

  if (error) return <ErrorNotice message={error} />;
  if (!systems) return <Loading what="the License Manager's packages" />;
  if (systems.length === 0) return <NoPackages />;
  const system = systems.find((s) => s.system === chosen) ?? systems[0]!;
  const visitorLabel = visitor && !systems.some((s) => s.system === visitor) ? visitor : null;
  return (
    <div className="lm-install">
      {systems.length > 1 ? (
        <div className="field">
          <label htmlFor={selectId}>Install on</label>
          <select id={selectId} value={system.system} onChange={(event) => setChosen(event.target.value)}>
            {systems.map((s) => (
              <option key={s.system} value={s.system}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p>
          The License Manager for <strong>{system.label}</strong>, with its own runtime: choose the .deb on Debian and Ubuntu, the tarball
          anywhere else.
        </p>
      )}
      {visitorLabel ? (
        <p className="hint">
          There is no License Manager package for this computer ({visitorLabel}): it runs on a server next to the product, and these are the
          packages for {system.label}.
        </p>
      ) : null}
      <SystemPackages key={system.system} system={system} />
    </div>
  );
}

/** The packages of one system with their commands; their links are made once, when the system is shown. */
function SystemPackages({ system }: { system: LmSystem<PackageView> }) {
  const origin = location.origin;
  const [links, setLinks] = useState<Partial<Record<LmKind, LmDownloadLink>> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const wanted = KINDS.map(({ kind }) => [kind, system.packages[kind]] as const).filter(
      (entry): entry is [LmKind, PackageView] => !!entry[1],
    );
    Promise.all(wanted.map(([, item]) => api<LmDownloadLink>('POST', `/v1/lm-packages/${encodeURIComponent(item.id)}/link`))).then(
      (made) => current && setLinks(Object.fromEntries(wanted.map(([kind], index) => [kind, made[index]]))),
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [system]);

  const expiresAt = links ? Math.min(...Object.values(links).map((link) => link.expiresAt)) : null;
  return (
    <>
      <ErrorNotice message={error} />
      {KINDS.map(({ kind, title, commands }) => {
        const item = system.packages[kind];
        if (!item) return null;
        const link = links?.[kind];
        return (
          <section key={kind} className="lm-package" aria-labelledby={`lm-package-${kind}`}>
            <h3 id={`lm-package-${kind}`}>{title}</h3>
            <PackageFacts item={item}>
              <dt>Version</dt>
              <dd>{item.version}</dd>
            </PackageFacts>
            {link ? (
              <Commands lines={commands(item, linkAt(link.url, origin), origin)} />
            ) : error ? null : (
              <Loading what="its download link" />
            )}
          </section>
        );
      })}
      {expiresAt ? (
        <p className="hint">
          The download links in these commands work without a login until {dayTime(expiresAt)}; come back to this step for new ones.
          sha256sum -c stops before anything is installed if the file is not the one listed here.
        </p>
      ) : null}
    </>
  );
}

/** No package published: what to ask the vendor for, and the configuration once it is installed. */
function NoPackages() {
  const origin = location.origin;
  return (
    <>
      <p className="notice notice-info">
        This License Center has no License Manager packages yet. Ask your vendor for <code>tessera-lm</code> (a tarball or a .deb); once it
        is installed, configure and start it:
      </p>
      <Commands
        lines={[
          '# as root, on the machine the License Manager runs on',
          'mkdir -p /etc/tessera-lm /var/lib/tessera-lm',
          `curl -fo /etc/tessera-lm/trust-bundle.json ${origin}/v1/trust-bundle`,
          `cat > ${LM_CONFIG} <<'YAML'`,
          'dataPath: /var/lib/tessera-lm',
          'trust: /etc/tessera-lm/trust-bundle.json',
          'center:',
          `  url: ${origin}   # online mode only`,
          'YAML',
          `tessera-lm serve --config ${LM_CONFIG} &`,
          `tessera-lm --config ${LM_CONFIG} info`,
        ]}
      />
    </>
  );
}

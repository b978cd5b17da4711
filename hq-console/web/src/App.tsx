// The console shell: who is signed in, the live socket and the data every page shares (the alert
// feed and the station directory), the header, and the hash routes.
import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AlertProgress,
  AlertView,
  OperatorView,
  StationsSnapshot,
} from '../../src/server/events';
import { AlertPage } from './AlertPage';
import { api, errorText, onSessionLost, ApiError } from './api';
import { Audit } from './Audit';
import { BroadcastPage } from './Broadcast';
import { Contacts } from './Contacts';
import { Escalations } from './Escalations';
import { Feed } from './Feed';
import { LANGS, setLang, t, useLang, type Lang } from './i18n';
import { Notifications } from './Notifications';
import { SignIn } from './SignIn';
import { connectSocket, isSessionError, type ConsoleSocket } from './socket';
import { Stations } from './Stations';
import { useNow, useRoute } from './util';

const EXPIRED = 'Session expired — sign in again';
/** How many alerts the feed keeps in memory. */
const FEED_MAX = 1000;

/** Signed in or not: the sign-in page or the console. */
export function App() {
  const [me, setMe] = useState<OperatorView | null | undefined>(undefined);
  const [notice, setNotice] = useState('');
  const signedIn = useRef(false);

  const leave = useCallback((message: string) => {
    if (signedIn.current) setNotice(message);
    signedIn.current = false;
    setMe(null);
  }, []);

  useEffect(() => {
    onSessionLost(() => leave(EXPIRED));
    api<OperatorView>('/api/me').then(
      (op) => {
        signedIn.current = true;
        setMe(op);
      },
      (err: unknown) => {
        setMe(null);
        if (!(err instanceof ApiError && err.status === 401)) setNotice(errorText(err));
      },
    );
  }, [leave]);

  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(op) => {
          signedIn.current = true;
          setNotice('');
          setMe(op);
        }}
      />
    );
  return <Console me={me} onLeave={leave} />;
}

type Link = { connected: boolean; broker: string; detail?: string };

function mergeAlerts(prev: AlertView[], incoming: AlertView[]): AlertView[] {
  const byId = new Map(prev.map((a) => [a.id, a]));
  for (const a of incoming) byId.set(a.id, a);
  return [...byId.values()].sort((x, y) => y.seq - x.seq).slice(0, FEED_MAX);
}

function Console({ me, onLeave }: { me: OperatorView; onLeave: (message: string) => void }) {
  const route = useRoute();
  const lang = useLang();
  const now = useNow();
  const [socket, setSocket] = useState<ConsoleSocket | null>(null);
  const [online, setOnline] = useState(false);
  // Bumped on every (re)connection so pages reload what they may have missed meanwhile.
  const [epoch, setEpoch] = useState(0);
  const [link, setLink] = useState<Link | null>(null);
  const [alerts, setAlerts] = useState<AlertView[]>([]);
  const [feedError, setFeedError] = useState('');
  const [stations, setStations] = useState<StationsSnapshot | null>(null);
  const [progress, setProgress] = useState<Record<string, AlertProgress>>({});

  useEffect(() => {
    const s = connectSocket();
    setSocket(s);
    const loadFeed = () =>
      api<{ alerts: AlertView[]; progress: Record<string, AlertProgress> }>(
        '/api/alerts?limit=200',
      ).then(
        (r) => {
          setFeedError('');
          setAlerts((prev) => mergeAlerts(prev, r.alerts));
          setProgress((prev) => ({ ...prev, ...r.progress }));
        },
        (err: unknown) => setFeedError(errorText(err)),
      );
    // Receipts move the feed's progress: reloaded at most every 2 s while they come.
    let reload: number | undefined;
    const soon = () => {
      reload ??= window.setTimeout(() => {
        reload = undefined;
        void loadFeed();
      }, 2000);
    };
    s.on('connect', () => {
      setOnline(true);
      setEpoch((e) => e + 1);
      void loadFeed();
      // The socket also pushes snapshots; keep whichever is newer.
      api<StationsSnapshot>('/api/stations').then(
        (snap) => setStations((prev) => (prev && prev.at > snap.at ? prev : snap)),
        () => undefined,
      );
    });
    s.on('disconnect', () => setOnline(false));
    s.on('connect_error', (err) => {
      if (!isSessionError(err)) return;
      s.disconnect();
      onLeave(EXPIRED);
    });
    s.on('session', () => {
      s.disconnect();
      onLeave(EXPIRED);
    });
    // The server reports the supervision stream's own state (open, heartbeats), not traffic.
    s.on('link', setLink);
    s.on('alert', (a) => {
      setAlerts((prev) => mergeAlerts(prev, [a]));
      soon();
    });
    s.on('receipt', soon);
    s.on('stations', setStations);
    return () => {
      window.clearTimeout(reload);
      s.disconnect();
    };
  }, [onLeave]);

  const signOut = async () => {
    socket?.disconnect();
    await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
    onLeave('');
  };

  const [page = 'feed', arg = ''] = route.parts;
  let body;
  switch (page) {
    case 'feed':
      body = <Feed alerts={alerts} progress={progress} now={now} error={feedError} />;
      break;
    case 'alerts':
      body = <AlertPage key={arg} id={arg} me={me} socket={socket} epoch={epoch} now={now} />;
      break;
    case 'stations':
      body = <Stations snapshot={stations} now={now} />;
      break;
    case 'broadcast':
      body = (
        <BroadcastPage
          me={me}
          socket={socket}
          epoch={epoch}
          stations={stations}
          query={route.query}
        />
      );
      break;
    case 'notifications':
      body = (
        <Notifications
          key={route.query.get('alert') ?? ''}
          initialAlert={route.query.get('alert') ?? ''}
          socket={socket}
          epoch={epoch}
        />
      );
      break;
    case 'escalations':
      body = <Escalations alerts={alerts} socket={socket} epoch={epoch} now={now} />;
      break;
    case 'contacts':
      body = <Contacts me={me} />;
      break;
    case 'audit':
      body = <Audit me={me} now={now} />;
      break;
    default:
      body = (
        <p className="empty">
          No such page. <a href="#/feed">Back to the live feed</a>.
        </p>
      );
  }

  const linked = online && link?.connected === true;
  const connecting = online && (link === null || (!link.connected && link.detail === 'connecting'));
  const linkText = t(
    lang,
    !online ? 'link.offline' : linked ? 'link.up' : connecting ? 'link.connecting' : 'link.down',
  );
  const nav: Array<[string, string]> = [
    ['feed', 'Live feed'],
    ['stations', 'Stations'],
    ['broadcast', 'Broadcast'],
    ['notifications', 'Notifications'],
    ['escalations', 'Escalations'],
    ['contacts', 'Contacts'],
    // Only administrators read the audit (the server refuses anyone else).
    ...(me.role === 'administrator' ? [['audit', 'Audit'] as [string, string]] : []),
  ];
  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          CCTNS HQ <span className="scope">{me.scope === 'national' ? 'National' : me.scope}</span>
        </div>
        <nav>
          {nav.map(([id, label]) => (
            <a
              key={id}
              href={`#/${id}`}
              data-testid={`nav-${id}`}
              className={page === id || (id === 'feed' && page === 'alerts') ? 'active' : ''}
            >
              {label}
            </a>
          ))}
        </nav>
        <div
          className={`link ${linked ? 'up' : connecting ? 'unknown' : 'down'}`}
          data-testid="link-state"
          data-connected={linked ? 'true' : 'false'}
          title={[link?.broker, link?.detail].filter(Boolean).join(' — ') || linkText}
        >
          <span className="dot" aria-hidden="true" />
          {linkText}
        </div>
        <select
          className="lang"
          aria-label="Language"
          data-testid="lang"
          value={lang}
          onChange={(e) => setLang(e.target.value as Lang)}
        >
          {LANGS.map((l) => (
            <option key={l.code} value={l.code}>
              {l.label}
            </option>
          ))}
        </select>
        <div className="operator" data-testid="operator">
          <strong>{me.username}</strong> · {me.role} · {me.scope}
        </div>
        <button type="button" data-testid="signout" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>{body}</main>
    </div>
  );
}

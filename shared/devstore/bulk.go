package devstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/keys"
)

// Bulk device loading.
//
// A restart or takeover connects thousands of linked sessions. DeviceFor
// costs two queries per device (the link, then whatsmeow's GetDevice) and
// three curve multiplications in whatsmeow's row scan, which derives the
// public keys from the private ones (from the zeroed placeholders, when the
// keys are sealed: the real ones come with their public keys from the sealed
// row). DevicesFor reads the devices of many sessions in one query per
// bulkChunk sessions of a tenant and derives nothing it already has.

// bulkChunk is how many sessions one query reads. Every query has exactly
// this many placeholders (a short chunk repeats its last session), so one
// prepared statement serves them all.
const bulkChunk = 200

// SessionRef names a session.
type SessionRef struct {
	Tenant, Session string
}

// bulkColumns are whatsmeow_device's columns as its GetDevice reads them,
// then the link and the sealed keys.
const bulkColumns = `
	d.jid, d.lid, d.registration_id, d.noise_key, d.identity_key,
	d.signed_pre_key, d.signed_pre_key_id, d.signed_pre_key_sig,
	d.adv_key, d.adv_details, d.adv_account_sig, d.adv_account_sig_key, d.adv_device_sig,
	d.platform, d.business_name, d.push_name, d.facebook_uuid, d.lid_migration_ts,
	l.session, k.sealed`

// bulkQuery reads the linked devices of bulkChunk sessions of one tenant
// ($1); a link to a device row that is gone yields no row, as DeviceFor
// yields nil.
var bulkQuery = `SELECT ` + bulkColumns + `
	FROM switchboard_session_devices l
	JOIN whatsmeow_device d ON d.jid = l.device_jid
	LEFT JOIN switchboard_device_keys k ON k.device_jid = l.device_jid
	WHERE l.tenant=$1 AND l.session IN (` + placeholders(2, bulkChunk) + `)`

// preKeyCountQuery counts the uploaded pre-keys of bulkChunk devices, as
// whatsmeow's UploadedPreKeyCount does for one, but only up to
// whatsmeow.MinPreKeyCount: whatsmeow compares the count with that minimum
// and nothing else (below it: upload more; at 0: the initial batch), and
// counting every device's ~50 rows was 2.3 % of a restarting gateway's CPU
// (profile at 10,000 sessions). A device without pre-keys counts 0.
var preKeyCountQuery = `SELECT d.jid, (SELECT COUNT(*) FROM (SELECT 1 FROM whatsmeow_pre_keys p
	WHERE p.jid = d.jid AND p.uploaded = true LIMIT ` + fmt.Sprint(whatsmeow.MinPreKeyCount) + `) AS c)
	FROM whatsmeow_device d WHERE d.jid IN (` + placeholders(1, bulkChunk) + `)`

// lidQuery reads the LID map rows of bulkChunk phone numbers.
var lidQuery = `SELECT lid, pn FROM whatsmeow_lid_map WHERE pn IN (` + placeholders(1, bulkChunk) + `)`

// placeholders is "$from, …" for n parameters.
func placeholders(from, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ph, ",")
}

// DevicesFor loads the linked devices of refs, as DeviceFor would one by
// one, with their count of uploaded pre-keys (whatsmeow asks for it on
// every login). A session without a linked device, or whose device could not be
// restored (its keys missing or not opening), is absent from the result:
// DeviceFor reports what is wrong with it. Only an error of a query fails
// the call.
func (s *Store) DevicesFor(ctx context.Context, refs []SessionRef) (map[SessionRef]*store.Device, error) {
	byTenant := map[string][]string{}
	for _, r := range refs {
		byTenant[r.Tenant] = append(byTenant[r.Tenant], r.Session)
	}
	out := make(map[SessionRef]*store.Device, len(refs))
	for tenant, ids := range byTenant {
		for len(ids) > 0 {
			n := min(len(ids), bulkChunk)
			if err := s.loadChunk(ctx, tenant, ids[:n], out); err != nil {
				return nil, err
			}
			ids = ids[n:]
		}
	}
	return out, nil
}

func (s *Store) loadChunk(ctx context.Context, tenant string, ids []string, out map[SessionRef]*store.Device) error {
	args := make([]any, 0, bulkChunk+1)
	args = append(args, tenant)
	for i := range bulkChunk {
		args = append(args, ids[min(i, len(ids)-1)])
	}
	rows, err := s.ours.Query(ctx, bulkQuery, args...)
	if err != nil {
		return fmt.Errorf("devstore: devices for sessions: %w", err)
	}
	var devs []bulkDevice
	for rows.Next() {
		var l bulkDevice
		if l.dev, l.session, l.sealed, err = scanBulkRow(rows); err != nil {
			_ = rows.Close()
			return err
		}
		devs = append(devs, l)
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("devstore: devices for sessions: %w", err)
	}
	counts, err := s.uploadedPreKeys(ctx, devs)
	if err != nil {
		return err
	}
	lids, err := s.storedLIDs(ctx, devs)
	if err != nil {
		return err
	}
	// After the rows are closed: unsealing may write (a device sealed with
	// a previous master key is sealed again).
	for _, l := range devs {
		if !l.derive() {
			continue // keys zeroed and their sealed copy gone: DeviceFor says so
		}
		s.container.InitializeDevice(l.dev)
		if err := s.unseal(ctx, l.dev, l.sealed); err != nil {
			continue // DeviceFor reports it when the session connects
		}
		s.wrapStores(l.dev)
		seedPreKeyCount(l.dev, counts[l.dev.ID.String()])
		if pn := l.dev.ID.User; !l.dev.LID.IsEmpty() && lids[pn] == l.dev.LID.User {
			l.dev.LIDs = StoredOwnLID{LIDStore: l.dev.LIDs, LID: l.dev.LID.User, PN: pn}
		}
		out[SessionRef{Tenant: tenant, Session: l.session}] = l.dev
	}
	return nil
}

// uploadedPreKeys counts the uploaded pre-keys of devs (at most bulkChunk)
// in one query, by device JID; a device without any is absent (0).
func (s *Store) uploadedPreKeys(ctx context.Context, devs []bulkDevice) (map[string]int, error) {
	out := make(map[string]int, len(devs))
	if len(devs) == 0 {
		return out, nil
	}
	args := make([]any, bulkChunk)
	for i := range args {
		args[i] = devs[min(i, len(devs)-1)].dev.ID.String()
	}
	rows, err := s.ours.Query(ctx, preKeyCountQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("devstore: pre-key counts: %w", err)
	}
	for rows.Next() {
		var (
			jid string
			n   int
		)
		if err := rows.Scan(&jid, &n); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("devstore: pre-key counts: %w", err)
		}
		out[jid] = n
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("devstore: pre-key counts: %w", err)
	}
	return out, nil
}

// StoredOwnLID is the LID map DevicesFor gives a device whose own LID↔PN
// pair (user parts) the database already holds: whatsmeow stores that pair
// on every login, and a caller that gives the device a map of its own can
// skip that write (and the read that checks for it).
type StoredOwnLID struct {
	store.LIDStore
	LID, PN string
}

// storedLIDs reads the LID map rows of the phone numbers of devs (at most
// bulkChunk), LID by phone number (user parts).
func (s *Store) storedLIDs(ctx context.Context, devs []bulkDevice) (map[string]string, error) {
	out := make(map[string]string, len(devs))
	if len(devs) == 0 {
		return out, nil
	}
	args := make([]any, bulkChunk)
	for i := range args {
		args[i] = devs[min(i, len(devs)-1)].dev.ID.User
	}
	rows, err := s.ours.Query(ctx, lidQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("devstore: lid map: %w", err)
	}
	for rows.Next() {
		var lid, pn string
		if err := rows.Scan(&lid, &pn); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("devstore: lid map: %w", err)
		}
		out[pn] = lid
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("devstore: lid map: %w", err)
	}
	return out, nil
}

// scanner is one row of a query.
type scanner interface{ Scan(dest ...any) error }

// scanBulkRow reads one row of bulkQuery. The key pairs hold the private
// keys only: derive fills in the public keys of plaintext keys; sealed ones
// come with theirs.
func scanBulkRow(row scanner) (*store.Device, string, []byte, error) {
	var (
		dev                                store.Device
		id                                 types.JID
		noise, identity, preKey, preKeySig []byte
		account                            waAdv.ADVSignedDeviceIdentity
		fbUUID                             uuid.NullUUID
		session                            string
		sealed                             []byte
	)
	dev.SignedPreKey = &keys.PreKey{}
	err := row.Scan(
		&id, &dev.LID, &dev.RegistrationID, &noise, &identity,
		&preKey, &dev.SignedPreKey.KeyID, &preKeySig,
		&dev.AdvSecretKey, &account.Details, &account.AccountSignature, &account.AccountSignatureKey, &account.DeviceSignature,
		&dev.Platform, &dev.BusinessName, &dev.PushName, &fbUUID, &dev.LIDMigrationTimestamp,
		&session, &sealed)
	if err != nil {
		return nil, "", nil, fmt.Errorf("devstore: scan device: %w", err)
	}
	if len(noise) != 32 || len(identity) != 32 || len(preKey) != 32 || len(preKeySig) != 64 {
		return nil, "", nil, fmt.Errorf("devstore: device %s: invalid key lengths", id)
	}
	dev.ID = &id
	dev.NoiseKey = &keys.KeyPair{Priv: (*[32]byte)(noise)}
	dev.IdentityKey = &keys.KeyPair{Priv: (*[32]byte)(identity)}
	dev.SignedPreKey.KeyPair = keys.KeyPair{Priv: (*[32]byte)(preKey)}
	dev.SignedPreKey.Signature = (*[64]byte)(preKeySig)
	dev.Account = &account
	dev.FacebookUUID = fbUUID.UUID
	return &dev, session, sealed, nil
}

// bulkDevice is a device read by bulkQuery, before its keys are restored.
type bulkDevice struct {
	session string
	dev     *store.Device
	sealed  []byte
}

// derive fills in the public keys of a device whose private keys are in
// whatsmeow_device (not sealed), as whatsmeow's row scan does. It reports
// false when they are zeroed placeholders whose sealed copy is gone.
func (b bulkDevice) derive() bool {
	if b.sealed != nil {
		return true // unseal restores both halves
	}
	d := b.dev
	if bytes.Equal(d.NoiseKey.Priv[:], zeroKey) {
		return false
	}
	d.NoiseKey = keys.NewKeyPairFromPrivateKey(*d.NoiseKey.Priv)
	d.IdentityKey = keys.NewKeyPairFromPrivateKey(*d.IdentityKey.Priv)
	d.SignedPreKey.KeyPair = *keys.NewKeyPairFromPrivateKey(*d.SignedPreKey.Priv)
	return true
}

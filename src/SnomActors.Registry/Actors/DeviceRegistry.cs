using System.Net;
using Akka.Actor;
using Akka.Event;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using SnomActors.Registry.Store;
using SnomActors.Server.Messages;
using SnomActors.Server.Provisioning;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Actors;

/// <summary>
/// The device registry: follows every phone's provisioning on the EventStream, keeps every
/// device in memory (the live view and device queries are answered from there, so they include
/// changes not yet written), and writes to the <see cref="IRegistryStore"/> in batches.
/// <para>
/// Write path: each accepted change updates memory at once, is published as
/// <see cref="DeviceChanged"/>, and waits in a pending set where several events of one device
/// coalesce into one row. A flush writes everything pending in ONE transaction when
/// <see cref="RegistryOptions.FlushThreshold"/> changes are pending or
/// <see cref="RegistryOptions.FlushInterval"/> after the first of them, with one flush in flight
/// at a time (what arrives meanwhile forms the next batch). The store retries transient faults
/// itself (Polly); when a flush still fails, the batch goes back to the pending set and is tried
/// again on a timer with back-off, so nothing accepted is lost while the database is away.
/// Stopping (or restarting) the actor writes what is pending synchronously.
/// </para>
/// <para>
/// Queries: devices, stats and admission come from memory; downloads, events and the timeline
/// are answered by the store after the pending changes are written (so they are complete);
/// settings and variables are operator data written and read straight through the store.
/// Store errors come back as <see cref="Status.Failure"/>, which makes <c>Ask</c> throw;
/// malformed MACs and keys as <see cref="ArgumentException"/>.
/// </para>
/// States: <c>Loading</c> (initialise the store and read every device; everything else stashed)
/// → <c>Ready</c>.
/// </summary>
public sealed class DeviceRegistry : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    // ---- messages: changes ---------------------------------------------------------------------

    /// <summary>A settings download served over HTTP (Tell; no reply).</summary>
    /// <param name="Mac">MAC from the URL (normalised here; a malformed one is ignored).</param>
    /// <param name="At">When the response was sent.</param>
    /// <param name="SourceIp">Client address.</param>
    /// <param name="Status">HTTP status sent.</param>
    /// <param name="Bytes">Body bytes sent.</param>
    /// <param name="ETag">ETag sent, if any.</param>
    /// <param name="Path">Request path.</param>
    public sealed record RecordDownload(string Mac, DateTimeOffset At, string? SourceIp, int Status, long Bytes, string? ETag, string? Path)
    {
        /// <summary>HTTP method (<c>GET</c>/<c>HEAD</c>); a HEAD is listed but never marks the device downloaded.</summary>
        public string? Method { get; init; }

        /// <summary>The settings document version rendered for the answer, when one was.</summary>
        public SettingsVersionRef? Settings { get; init; }
    }

    /// <summary>
    /// A phone seen but not provisioned, e.g. quarantined by the admission policy (Tell; no reply).
    /// Updates identity and last seen without starting an attempt.
    /// </summary>
    /// <param name="Device">Identity from the SUBSCRIBE (ignored when its MAC is null).</param>
    /// <param name="Source">Where it came from.</param>
    /// <param name="At">When.</param>
    /// <param name="AdmissionIfNew">Admission of a device not yet known (default <see cref="AdmissionState.Quarantined"/>).</param>
    public sealed record RecordSighting(DeviceIdentity Device, IPEndPoint Source, DateTimeOffset At, AdmissionState AdmissionIfNew = AdmissionState.Quarantined);

    /// <summary>Approve (allowed), quarantine or deny a known device. Replies <see cref="DeviceResult"/> (Device null when unknown).</summary>
    public sealed record SetAdmission(string Mac, AdmissionState Admission);

    /// <summary>
    /// Forget a device with its downloads and timeline; its variables and per-MAC settings are
    /// operator configuration and stay. Replies <see cref="DeviceDeleted"/>; publishes <see cref="DeviceRemoved"/>.
    /// </summary>
    public sealed record DeleteDevice(string Mac);

    /// <summary>Reply to <see cref="DeleteDevice"/>.</summary>
    public sealed record DeviceDeleted(string Mac, bool Existed);

    /// <summary>Write everything accepted so far; replies <see cref="Flushed"/> once it is in the store (waits while the store is down).</summary>
    public sealed record Flush
    {
        /// <summary>The message.</summary>
        public static readonly Flush Instance = new();
        private Flush() { }
    }

    /// <summary>Reply to <see cref="Flush"/>.</summary>
    public sealed record Flushed
    {
        /// <summary>The message.</summary>
        public static readonly Flushed Instance = new();
        private Flushed() { }
    }

    // ---- messages: published on the EventStream ----------------------------------------------

    /// <summary>A device changed in the registry (published as soon as the change is accepted, before it is written).</summary>
    public sealed record DeviceChanged(DeviceRecord Device);

    /// <summary>A device was deleted.</summary>
    public sealed record DeviceRemoved(string Mac);

    /// <summary>
    /// A device is new or its admission changed (published with its <see cref="DeviceChanged"/>).
    /// The router's admission cache follows this instead of every change: a PnP exchange changes
    /// a device four times and its admission at most once.
    /// </summary>
    public sealed record AdmissionChanged(string Mac, AdmissionState Admission);

    // ---- messages: device queries (answered from memory) ------------------------------------

    /// <summary>Replies <see cref="DeviceResult"/>.</summary>
    public sealed record GetDevice(string Mac);

    /// <summary>Reply to <see cref="GetDevice"/> and <see cref="SetAdmission"/>; null when unknown.</summary>
    public sealed record DeviceResult(DeviceRecord? Device);

    /// <summary>Replies <see cref="DevicePage"/>.</summary>
    public sealed record ListDevices(DeviceQuery Query);

    /// <summary>Replies <see cref="RegistryStats"/> with the write-path counters filled in.</summary>
    public sealed record GetStats
    {
        /// <summary>The message.</summary>
        public static readonly GetStats Instance = new();
        private GetStats() { }
    }

    /// <summary>Replies <see cref="AdmissionResult"/> (for the admission policy: has the operator approved this MAC?).</summary>
    public sealed record GetAdmission(string Mac);

    /// <summary>Reply to <see cref="GetAdmission"/>; Admission null when the device is unknown.</summary>
    public sealed record AdmissionResult(string Mac, AdmissionState? Admission);

    /// <summary>Replies <see cref="ReadyResult"/> in every state (for <c>/health/ready</c>).</summary>
    public sealed record GetReady
    {
        /// <summary>The message.</summary>
        public static readonly GetReady Instance = new();
        private GetReady() { }
    }

    /// <summary>Ready once the store is open and the devices loaded; Error says why not.</summary>
    public sealed record ReadyResult(bool Ready, string? Error);

    // ---- messages: store-backed queries (after pending changes are written) -----------------

    /// <summary>Replies <see cref="DownloadList"/> (newest first).</summary>
    public sealed record ListDownloads(string Mac, int Limit = 100);

    /// <summary>Reply to <see cref="ListDownloads"/>.</summary>
    public sealed record DownloadList(IReadOnlyList<DownloadRecord> Downloads);

    /// <summary>Replies <see cref="EventList"/> (newest first).</summary>
    public sealed record ListEvents(string Mac, int Limit = 100);

    /// <summary>Reply to <see cref="ListEvents"/>.</summary>
    public sealed record EventList(IReadOnlyList<DeviceEvent> Events);

    /// <summary>Replies <see cref="ProvisioningTimeline"/>.</summary>
    public sealed record GetTimeline(DateTimeOffset From, DateTimeOffset To, TimeSpan Bucket);

    // ---- messages: settings and variables (straight through the store) ----------------------

    /// <summary>Upload a new version; replies <see cref="SettingsDocumentVersion"/>.</summary>
    public sealed record AddSettingsVersion(SettingsScope Scope, string? Key, string Content, string? Author);

    /// <summary>Replies <see cref="SettingsDocumentList"/>.</summary>
    public sealed record ListSettingsDocuments
    {
        /// <summary>The message.</summary>
        public static readonly ListSettingsDocuments Instance = new();
        private ListSettingsDocuments() { }
    }

    /// <summary>Reply to <see cref="ListSettingsDocuments"/>.</summary>
    public sealed record SettingsDocumentList(IReadOnlyList<SettingsDocumentSummary> Documents);

    /// <summary>Replies <see cref="SettingsVersionList"/> (newest first).</summary>
    public sealed record ListSettingsVersions(SettingsScope Scope, string? Key);

    /// <summary>Reply to <see cref="ListSettingsVersions"/>.</summary>
    public sealed record SettingsVersionList(IReadOnlyList<SettingsVersionInfo> Versions);

    /// <summary>One version, or the current one when Version is null; replies <see cref="SettingsResult"/>.</summary>
    public sealed record GetSettings(SettingsScope Scope, string? Key, int? Version = null);

    /// <summary>Reply to <see cref="GetSettings"/>; null when absent (or deleted, for the current version).</summary>
    public sealed record SettingsResult(SettingsDocumentVersion? Document);

    /// <summary>Replies <see cref="SettingsDeleted"/>.</summary>
    public sealed record DeleteSettingsDocument(SettingsScope Scope, string? Key);

    /// <summary>Reply to <see cref="DeleteSettingsDocument"/>.</summary>
    public sealed record SettingsDeleted(bool Existed);

    /// <summary>
    /// What the HTTP side needs to render a phone's settings: the device (if known), the most
    /// specific document (MAC, model, vendor, general) and the device's variables. Vendor and Model
    /// are used only when the device is unknown. Replies <see cref="ResolvedSettings"/>.
    /// </summary>
    public sealed record ResolveSettings(string Mac, string? Vendor = null, string? Model = null);

    /// <summary>Reply to <see cref="ResolveSettings"/>.</summary>
    public sealed record ResolvedSettings(string Mac, DeviceRecord? Device, SettingsDocumentVersion? Document, IReadOnlyDictionary<string, string> Variables);

    /// <summary>Replies <see cref="DeviceVariables"/>.</summary>
    public sealed record GetVariables(string Mac);

    /// <summary>Replace all variables of one device; replies <see cref="VariablesSaved"/>.</summary>
    public sealed record ReplaceVariables(string Mac, IReadOnlyDictionary<string, string> Values);

    /// <summary>Set (or, with a null value, remove) one variable; replies <see cref="VariablesSaved"/>.</summary>
    public sealed record SetVariable(string Mac, string Name, string? Value);

    /// <summary>Import many devices' variables in one transaction; replies <see cref="VariablesSaved"/>.</summary>
    public sealed record ImportVariables(IReadOnlyList<DeviceVariables> Rows, VariableImportMode Mode);

    /// <summary>Reply to the variable commands: how many devices were written.</summary>
    public sealed record VariablesSaved(int Devices);

    /// <summary>Replies <see cref="VariablesExport"/>.</summary>
    public sealed record ExportVariables
    {
        /// <summary>The message.</summary>
        public static readonly ExportVariables Instance = new();
        private ExportVariables() { }
    }

    /// <summary>Reply to <see cref="ExportVariables"/>.</summary>
    public sealed record VariablesExport(IReadOnlyList<DeviceVariables> Rows);

    // ---- messages: download tokens (issue 5) ----------------------------------------------------

    /// <summary>
    /// A device's download token; with <paramref name="IssueIfMissing"/> one is issued when it has
    /// none (e.g. for a phone configured by hand). Replies <see cref="DownloadTokenResult"/>.
    /// </summary>
    public sealed record GetDownloadToken(string Mac, bool IssueIfMissing = false);

    /// <summary>Replaces a device's download token; the old one stops working at once. Replies <see cref="DownloadTokenResult"/>.</summary>
    public sealed record RotateDownloadToken(string Mac);

    /// <summary>Reply to the token messages; Token null when the device has none.</summary>
    public sealed record DownloadTokenResult(string Mac, string? Token)
    {
        /// <summary>Keeps the secret out of logs that print messages.</summary>
        public override string ToString() => $"DownloadTokenResult {{ Mac = {Mac}, Token = {(Token is null ? "null" : "***")} }}";
    }

    // ---- private messages ---------------------------------------------------------------------

    private sealed record Loaded(IReadOnlyList<DeviceRecord> Devices, IReadOnlyDictionary<string, string> Tokens);
    private sealed record TokenIssued(DownloadTokenIssued Issued);
    private sealed record LoadFailed(Exception Error);
    private sealed record LoadTick;
    private sealed record FlushTick;
    private sealed record FlushSucceeded(long Seq);
    private sealed record FlushFailed(RegistryBatch Batch, Exception Error);

    private const string LoadTimer = "load";
    private const string FlushTimer = "flush";

    // ---- state ----------------------------------------------------------------------------------

    private readonly IRegistryStore store;
    private readonly RegistryOptions options;
    private readonly ILoggingAdapter log = Context.GetLogger();

    private readonly Dictionary<string, DeviceRecord> devices = new(StringComparer.Ordinal);
    private Dictionary<string, DeviceRecord> dirty = new(StringComparer.Ordinal);
    private HashSet<string> pendingDeletes = new(StringComparer.Ordinal);
    private List<DownloadRecord> pendingDownloads = [];
    private List<DeviceEvent> pendingEvents = [];
    private Dictionary<string, DownloadTokenIssued> pendingTokens = new(StringComparer.Ordinal);
    private readonly DownloadTokenTable tokens;

    /// <summary>Callbacks waiting for everything accepted up to Seq to be written; RunOnFailure: also when a flush fails.</summary>
    private readonly List<(long Seq, bool RunOnFailure, Action<bool> Callback)> waiters = [];

    private long acceptedSeq;
    private Task? inFlightTask;
    private RegistryBatch? inFlightBatch;
    private TimeSpan retryDelay;
    private bool backingOff;
    private bool droppingReported;
    private TimeSpan loadDelay;
    private string? loadError;

    private long flushedBatches;
    private long failedFlushes;
    private long droppedChanges;
    private string? lastStoreError;

    /// <summary>Use <see cref="Props"/>.</summary>
    public DeviceRegistry(IRegistryStore store, RegistryOptions options)
    {
        this.store = store;
        this.options = options;
        tokens = options.DownloadTokens ?? new DownloadTokenTable(DownloadProtectionPolicy.Open, options.TimeProvider);
        retryDelay = options.RetryInterval;
        loadDelay = options.RetryInterval;
        Loading();
    }

    /// <summary>Props for the registry; the caller owns (and disposes) the store.</summary>
    public static Props Props(IRegistryStore store, RegistryOptions options) => Akka.Actor.Props.Create<DeviceRegistry>(store, options);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    private int PendingCount => dirty.Count + pendingDeletes.Count + pendingDownloads.Count + pendingEvents.Count + pendingTokens.Count;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(ProvisioningEvent));
        StartLoad();
    }

    // ---- Loading ------------------------------------------------------------------------------

    private void Loading()
    {
        Receive<Loaded>(loaded =>
        {
            devices.Clear();
            foreach (var d in loaded.Devices) devices[d.Mac] = d;
            tokens.Load(loaded.Tokens);
            // From here on every token the router or the API issues comes here to be written.
            var self = Self;
            tokens.Attach(issued => self.Tell(new TokenIssued(issued)));
            loadError = null;
            log.Info("Device registry ready: {0} devices in the {1} store", devices.Count, store.Kind);
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<LoadFailed>(failed =>
        {
            loadError = failed.Error.Message;
            log.Warning("Device registry store not available yet ({0}); retrying in {1}", failed.Error.Message, loadDelay);
            Timers.StartSingleTimer(LoadTimer, new LoadTick(), loadDelay);
            loadDelay = Next(loadDelay);
        });
        Receive<LoadTick>(_ => StartLoad());
        Receive<GetReady>(_ => Sender.Tell(new ReadyResult(false, loadError ?? "loading")));
        ReceiveAny(_ => Stash.Stash());
    }

    private void StartLoad()
    {
        var retention = options.EventRetention;
        var now = options.TimeProvider.GetUtcNow();
        LoadAsync().PipeTo(Self, failure: ex => new LoadFailed(ex));

        async Task<Loaded> LoadAsync()
        {
            await store.InitializeAsync();
            await store.PruneEventsAsync(now - retention);
            var all = await store.LoadAllDevicesAsync();
            return new Loaded(all, await store.LoadDownloadTokensAsync());
        }
    }

    private TimeSpan Next(TimeSpan delay) =>
        TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryInterval.Ticks));

    // ---- Ready --------------------------------------------------------------------------------

    private void Ready()
    {
        Receive<ProvisioningEvent>(OnProvisioningEvent);
        Receive<RecordDownload>(OnDownload);
        Receive<RecordSighting>(OnSighting);
        Receive<SetAdmission>(OnSetAdmission);
        Receive<DeleteDevice>(OnDelete);
        Receive<TokenIssued>(t =>
        {
            pendingTokens[t.Issued.Mac] = t.Issued;
            acceptedSeq++;
            AfterChange();
        });
        Receive<GetDownloadToken>(q => Reply(() =>
        {
            var mac = RequireMac(q.Mac);
            return new DownloadTokenResult(mac, q.IssueIfMissing ? tokens.GetOrIssue(mac) : tokens.Find(mac));
        }));
        Receive<RotateDownloadToken>(c => Reply(() =>
        {
            var mac = RequireMac(c.Mac);
            return new DownloadTokenResult(mac, tokens.Rotate(mac));
        }));
        Receive<Flush>(_ =>
        {
            var replyTo = Sender;
            AfterFlush(runOnFailure: false, _ => replyTo.Tell(Flushed.Instance));
        });
        Receive<FlushTick>(_ => StartFlush());
        Receive<FlushSucceeded>(OnFlushSucceeded);
        Receive<FlushFailed>(OnFlushFailed);

        Receive<GetDevice>(q => Reply(() => new DeviceResult(devices.GetValueOrDefault(RequireMac(q.Mac)))));
        Receive<ListDevices>(q => Reply(() => DeviceFilter.Apply(devices.Values, q.Query)));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<GetAdmission>(q => Reply(() =>
        {
            var mac = RequireMac(q.Mac);
            return new AdmissionResult(mac, devices.TryGetValue(mac, out var d) ? d.Admission : null);
        }));
        Receive<GetReady>(_ => Sender.Tell(new ReadyResult(true, null)));

        Receive<ListDownloads>(q => AfterFlushQuery(() => RequireMac(q.Mac),
            mac => store.ListDownloadsAsync(mac, q.Limit).ContinueWith(t => (object)new DownloadList(t.Result), TaskContinuationOptions.OnlyOnRanToCompletion)));
        Receive<ListEvents>(q => AfterFlushQuery(() => RequireMac(q.Mac),
            mac => store.ListEventsAsync(mac, q.Limit).ContinueWith(t => (object)new EventList(t.Result), TaskContinuationOptions.OnlyOnRanToCompletion)));
        Receive<GetTimeline>(q => AfterFlushQuery(() => q,
            t => Boxed(store.GetTimelineAsync(t.From, t.To, t.Bucket))));

        Receive<AddSettingsVersion>(c => Through(() => Boxed(store.AddSettingsVersionAsync(c.Scope, c.Key, c.Content, c.Author, options.TimeProvider.GetUtcNow()))));
        Receive<ListSettingsDocuments>(_ => Through(async () => (object)new SettingsDocumentList(await store.ListSettingsDocumentsAsync())));
        Receive<ListSettingsVersions>(q => Through(async () => (object)new SettingsVersionList(await store.ListSettingsVersionsAsync(q.Scope, q.Key))));
        Receive<GetSettings>(q => Through(async () => (object)new SettingsResult(q.Version is { } v
            ? await store.GetSettingsVersionAsync(q.Scope, q.Key, v)
            : await store.GetCurrentSettingsAsync(q.Scope, q.Key))));
        Receive<DeleteSettingsDocument>(c => Through(async () =>
            (object)new SettingsDeleted(await store.DeleteSettingsDocumentAsync(c.Scope, c.Key, options.TimeProvider.GetUtcNow()))));
        Receive<ResolveSettings>(OnResolve);
        Receive<GetVariables>(q => Through(async () => (object)new DeviceVariables(RequireMac(q.Mac), await store.GetVariablesAsync(q.Mac))));
        Receive<ReplaceVariables>(c => Through(async () => { await store.ReplaceVariablesAsync(c.Mac, c.Values); return (object)new VariablesSaved(1); }));
        Receive<SetVariable>(c => Through(async () => { await store.UpsertVariableAsync(c.Mac, c.Name, c.Value); return (object)new VariablesSaved(1); }));
        Receive<ImportVariables>(c => Through(async () => (object)new VariablesSaved(await store.ImportVariablesAsync(c.Rows, c.Mode))));
        Receive<ExportVariables>(_ => Through(async () => (object)new VariablesExport(await store.ExportVariablesAsync())));
    }

    private static async Task<object> Boxed<T>(Task<T> task) where T : notnull => await task;

    private static string RequireMac(string mac) =>
        MacAddress.TryNormalize(mac, out var normalized) ? normalized : throw new ArgumentException($"'{mac}' is not a MAC address.", nameof(mac));

    /// <summary>Answers synchronously; a bad argument becomes a failure reply instead of crashing the actor.</summary>
    private void Reply(Func<object> answer)
    {
        try { Sender.Tell(answer()); }
        catch (ArgumentException ex) { Sender.Tell(new Status.Failure(ex)); }
    }

    /// <summary>Runs a store call off the actor and pipes its result (or failure) to the asker.</summary>
    private void Through(Func<Task<object>> call)
    {
        Task<object> task;
        // Any synchronous throw (bad argument, store bug) is the asker's failure, not a reason to restart.
        try { task = call(); }
        catch (Exception ex) { task = Task.FromException<object>(ex); }
        task.PipeTo(Sender);
    }

    private void AfterFlushQuery<TArg>(Func<TArg> validate, Func<TArg, Task<object>> query)
    {
        var replyTo = Sender;
        TArg arg;
        try { arg = validate(); }
        catch (ArgumentException ex) { replyTo.Tell(new Status.Failure(ex)); return; }
        // Run even if the flush failed: the store then answers with what it has, or fails visibly.
        AfterFlush(runOnFailure: true, _ =>
        {
            Task<object> task;
            try { task = query(arg); }
            catch (Exception ex) { task = Task.FromException<object>(ex); }
            task.PipeTo(replyTo);
        });
    }

    private void OnResolve(ResolveSettings q)
    {
        string mac;
        try { mac = RequireMac(q.Mac); }
        catch (ArgumentException ex) { Sender.Tell(new Status.Failure(ex)); return; }
        var device = devices.GetValueOrDefault(mac);
        var vendor = device?.Vendor ?? q.Vendor;
        var model = device?.Model ?? q.Model;
        Through(async () =>
        {
            var document = store.ResolveSettingsAsync(mac, vendor, model);
            var variables = store.GetVariablesAsync(mac);
            return new ResolvedSettings(mac, device, await document, await variables);
        });
    }

    // ---- changes ------------------------------------------------------------------------------

    private void OnProvisioningEvent(ProvisioningEvent e)
    {
        // AudioCodes phones carry no usable MAC: they are provisioned but not registered.
        if (!MacAddress.TryNormalize(e.Mac, out var mac)) return;
        var current = devices.GetValueOrDefault(mac);
        if (e is SubscribeSeen seen)
        {
            Accept(DeviceUpdates.Seen(current, mac, seen, options.NewDeviceAdmission),
                new DeviceEvent(mac, DeviceUpdates.Truncate(seen.At), DeviceEventKind.Seen, seen.CallId));
            return;
        }
        if (DeviceUpdates.Step(current, e) is { } step)
            Accept(step.Updated, new DeviceEvent(mac, DeviceUpdates.Truncate(e.At), step.Kind, e.CallId));
    }

    private void OnSighting(RecordSighting s)
    {
        if (!MacAddress.TryNormalize(s.Device.Mac, out var mac)) return;
        Accept(DeviceUpdates.Sighted(devices.GetValueOrDefault(mac), mac, s.Device, s.Source, s.At, s.AdmissionIfNew), null);
    }

    private void OnDownload(RecordDownload r)
    {
        if (!MacAddress.TryNormalize(r.Mac, out var mac))
        {
            log.Warning("Download record with a malformed MAC ignored");
            return;
        }
        var download = new DownloadRecord(0, mac, DeviceUpdates.Truncate(r.At), r.SourceIp, r.Status, r.Bytes, r.ETag, r.Path)
        {
            Method = r.Method is null ? null : r.Method.ToUpperInvariant(),
            Settings = r.Settings,
        };
        pendingDownloads.Add(download);
        acceptedSeq++;
        if (DeviceUpdates.Downloaded(devices.GetValueOrDefault(mac), download) is { } updated)
            Accept(updated, new DeviceEvent(mac, download.At, DeviceEventKind.Downloaded, null));
        else
            AfterChange();
    }

    private void OnSetAdmission(SetAdmission c)
    {
        string mac;
        try { mac = RequireMac(c.Mac); }
        catch (ArgumentException ex) { Sender.Tell(new Status.Failure(ex)); return; }
        if (!devices.TryGetValue(mac, out var current))
        {
            Sender.Tell(new DeviceResult(null));
            return;
        }
        var updated = current with { Admission = c.Admission };
        if (updated != current) Accept(updated, null);
        Sender.Tell(new DeviceResult(updated));
    }

    private void OnDelete(DeleteDevice c)
    {
        string mac;
        try { mac = RequireMac(c.Mac); }
        catch (ArgumentException ex) { Sender.Tell(new Status.Failure(ex)); return; }
        // Delete in the store even when unknown in memory: it may hold rows (downloads) of that MAC.
        var existed = devices.Remove(mac);
        dirty.Remove(mac);
        pendingEvents.RemoveAll(e => e.Mac == mac);
        pendingDownloads.RemoveAll(d => d.Mac == mac);
        pendingDeletes.Add(mac);
        acceptedSeq++;
        if (existed) Context.System.EventStream.Publish(new DeviceRemoved(mac));
        Sender.Tell(new DeviceDeleted(mac, existed));
        AfterChange();
    }

    private void Accept(DeviceRecord updated, DeviceEvent? evt)
    {
        var admissionChanged = !devices.TryGetValue(updated.Mac, out var previous) || previous.Admission != updated.Admission;
        devices[updated.Mac] = updated;
        dirty[updated.Mac] = updated;
        if (evt is not null) pendingEvents.Add(evt);
        acceptedSeq++;
        Context.System.EventStream.Publish(new DeviceChanged(updated));
        if (admissionChanged) Context.System.EventStream.Publish(new AdmissionChanged(updated.Mac, updated.Admission));
        AfterChange();
    }

    private void AfterChange()
    {
        EnforceBound();
        if (backingOff) return; // the retry timer decides when to try the store again
        if (PendingCount >= options.FlushThreshold) StartFlush();
        else if (inFlightTask is null && !Timers.IsTimerActive(FlushTimer))
            Timers.StartSingleTimer(FlushTimer, new FlushTick(), options.FlushInterval);
    }

    private void EnforceBound()
    {
        var excess = PendingCount - options.MaxPendingChanges;
        if (excess <= 0) return;
        // Timeline events are the least valuable, then download history; device rows never go.
        var fromEvents = Math.Min(excess, pendingEvents.Count);
        pendingEvents.RemoveRange(0, fromEvents);
        var fromDownloads = Math.Min(excess - fromEvents, pendingDownloads.Count);
        pendingDownloads.RemoveRange(0, fromDownloads);
        droppedChanges += fromEvents + fromDownloads;
        options.Metrics.ChangesDropped(fromEvents + fromDownloads);
        // Once per outage, not once per event of a storm.
        if (fromEvents + fromDownloads > 0 && !droppingReported)
        {
            droppingReported = true;
            log.Warning("Registry store unavailable and {0} changes pending: dropping the oldest timeline events and downloads (counted in stats)",
                PendingCount);
        }
    }

    // ---- flushing -----------------------------------------------------------------------------

    private RegistryBatch TakeBatch()
    {
        var batch = new RegistryBatch(pendingDeletes, dirty.Values.ToList(), pendingDownloads, pendingEvents) { Tokens = pendingTokens.Values.ToList() };
        pendingTokens = new Dictionary<string, DownloadTokenIssued>(StringComparer.Ordinal);
        pendingDeletes = new HashSet<string>(StringComparer.Ordinal);
        dirty = new Dictionary<string, DeviceRecord>(StringComparer.Ordinal);
        pendingDownloads = [];
        pendingEvents = [];
        return batch;
    }

    private void StartFlush()
    {
        Timers.Cancel(FlushTimer);
        if (inFlightTask is not null) return; // its completion starts the next one
        if (PendingCount == 0)
        {
            backingOff = false;
            ReleaseWaiters(success: true, acceptedSeq);
            return;
        }
        var seq = acceptedSeq;
        var batch = TakeBatch();
        inFlightBatch = batch;
        inFlightTask = WriteAsync(batch, CancellationToken.None);
        inFlightTask.PipeTo(Self, success: () => new FlushSucceeded(seq), failure: ex => new FlushFailed(batch, ex));
    }

    /// <summary>
    /// Writes one batch and times it. Runs off the actor (it touches only the store and the
    /// thread-safe metrics), so the measured time is the store's, not the mailbox's.
    /// </summary>
    private async Task WriteAsync(RegistryBatch batch, CancellationToken cancellationToken)
    {
        var clock = options.TimeProvider;
        var metrics = options.Metrics;
        var started = clock.GetTimestamp();
        try
        {
            await store.ApplyBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            metrics.BatchFailed();
            throw;
        }
        metrics.BatchWritten(batch, clock.GetElapsedTime(started));
    }

    private void OnFlushSucceeded(FlushSucceeded done)
    {
        inFlightTask = null;
        inFlightBatch = null;
        flushedBatches++;
        if (backingOff) log.Info("Registry store is back; pending changes written ({0} timeline events/downloads dropped so far)", droppedChanges);
        backingOff = false;
        droppingReported = false;
        lastStoreError = null;
        retryDelay = options.RetryInterval;
        ReleaseWaiters(success: true, done.Seq);
        if (PendingCount >= options.FlushThreshold || waiters.Count > 0) StartFlush();
        else if (PendingCount > 0 && !Timers.IsTimerActive(FlushTimer))
            Timers.StartSingleTimer(FlushTimer, new FlushTick(), options.FlushInterval);
    }

    private void OnFlushFailed(FlushFailed failed)
    {
        inFlightTask = null;
        inFlightBatch = null;
        failedFlushes++;
        lastStoreError = failed.Error.Message;
        Requeue(failed.Batch);
        EnforceBound();
        log.Warning("Registry store write failed ({0}); {1} changes kept, retrying in {2}", failed.Error.Message, PendingCount, retryDelay);
        backingOff = true;
        Timers.StartSingleTimer(FlushTimer, new FlushTick(), retryDelay);
        retryDelay = Next(retryDelay);
        ReleaseWaiters(success: false, long.MaxValue);
    }

    /// <summary>Puts a failed batch back under whatever changed since (newer state wins, later deletes win).</summary>
    private void Requeue(RegistryBatch batch)
    {
        foreach (var d in batch.Devices)
            if (!dirty.ContainsKey(d.Mac) && !pendingDeletes.Contains(d.Mac)) dirty[d.Mac] = d;
        // A token issued since is newer than the failed one; tokens outlive device deletes.
        foreach (var t in batch.Tokens) pendingTokens.TryAdd(t.Mac, t);
        var deletedSince = new HashSet<string>(pendingDeletes, StringComparer.Ordinal);
        pendingDeletes.UnionWith(batch.Deletes);
        pendingEvents.InsertRange(0, batch.Events.Where(e => !deletedSince.Contains(e.Mac)));
        pendingDownloads.InsertRange(0, batch.Downloads.Where(d => !deletedSince.Contains(d.Mac)));
    }

    /// <summary>Registers a callback for when everything accepted so far is written (or, if asked, when a flush fails).</summary>
    private void AfterFlush(bool runOnFailure, Action<bool> callback)
    {
        if (PendingCount == 0 && inFlightTask is null)
        {
            callback(true);
            return;
        }
        waiters.Add((acceptedSeq, runOnFailure, callback));
        StartFlush();
    }

    private void ReleaseWaiters(bool success, long seq)
    {
        if (waiters.Count == 0) return;
        var ready = waiters.Where(w => success ? w.Seq <= seq : w.RunOnFailure).ToList();
        foreach (var w in ready) waiters.Remove(w);
        foreach (var w in ready) w.Callback(success);
    }

    private RegistryStats Stats()
    {
        var byState = Enum.GetValues<DeviceState>().ToDictionary(s => s, _ => 0);
        var byAdmission = Enum.GetValues<AdmissionState>().ToDictionary(s => s, _ => 0);
        var byVendor = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in devices.Values)
        {
            byState[d.State]++;
            byAdmission[d.Admission]++;
            byVendor[d.Vendor] = byVendor.GetValueOrDefault(d.Vendor) + 1;
        }
        return new RegistryStats
        {
            Total = devices.Count,
            ByState = byState,
            ByAdmission = byAdmission,
            ByVendor = byVendor,
            PendingChanges = PendingCount + (inFlightBatch?.Count ?? 0),
            DroppedChanges = droppedChanges,
            FlushedBatches = flushedBatches,
            FailedFlushes = failedFlushes,
            LastStoreError = lastStoreError,
        };
    }

    // ---- stop ---------------------------------------------------------------------------------

    /// <summary>
    /// Writes what is pending before the actor goes (stop, restart, system shutdown). Blocking is
    /// deliberate here: after PostStop nobody holds these changes any more.
    /// </summary>
    protected override void PostStop()
    {
        tokens.Detach();
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        if (inFlightTask is not null && inFlightBatch is not null)
        {
            try { inFlightTask.Wait(options.ShutdownFlushTimeout); } catch (AggregateException) { }
            if (!inFlightTask.IsCompletedSuccessfully) Requeue(inFlightBatch);
            inFlightTask = null;
            inFlightBatch = null;
        }
        if (PendingCount > 0)
        {
            var batch = TakeBatch();
            var remaining = options.ShutdownFlushTimeout - elapsed.Elapsed;
            try
            {
                using var cts = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
                WriteAsync(batch, cts.Token).Wait(cts.Token);
                log.Info("Device registry stopped: {0} pending changes written", batch.Count);
            }
            catch (Exception ex)
            {
                log.Error(ex, "Device registry stopped with {0} changes not written: the store failed", batch.Count);
            }
        }
        base.PostStop();
    }
}

using System.Security.Cryptography;
using System.Text;
using SnomActors.Registry.Model;
using SnomActors.Registry.Tests.Support;

namespace SnomActors.Registry.Tests.Store;

public sealed class SettingsAndVariablesStoreTests
{
    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Settings_versions_are_numbered_per_document_with_size_hash_and_author(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();

        var v1 = await store.AddSettingsVersionAsync(SettingsScope.Vendor, "Snom", "<settings>ä</settings>", "alice", Devices.T0);
        var v2 = await store.AddSettingsVersionAsync(SettingsScope.Vendor, "snom", "<settings>2</settings>", "bob", Devices.T0.AddMinutes(1));
        var other = await store.AddSettingsVersionAsync(SettingsScope.Model, "snom710", "<m/>", null, Devices.T0);

        Assert.Equal((SettingsScope.Vendor, "snom", 1), (v1.Scope, v1.Key, v1.Version));
        Assert.Equal(2, v2.Version);
        Assert.Equal(1, other.Version);
        Assert.Equal(Encoding.UTF8.GetByteCount("<settings>ä</settings>"), v1.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("<settings>ä</settings>"))), v1.Sha256);

        Assert.Equal(v1, await store.GetSettingsVersionAsync(SettingsScope.Vendor, "SNOM", 1));
        Assert.Equal(v2, await store.GetCurrentSettingsAsync(SettingsScope.Vendor, "snom"));
        Assert.Null(await store.GetSettingsVersionAsync(SettingsScope.Vendor, "snom", 3));
        Assert.Equal([2, 1], (await store.ListSettingsVersionsAsync(SettingsScope.Vendor, "snom")).Select(v => v.Version));
        Assert.Equal(["bob", "alice"], (await store.ListSettingsVersionsAsync(SettingsScope.Vendor, "snom")).Select(v => v.Author));

        var documents = await store.ListSettingsDocumentsAsync();
        Assert.Equal([(SettingsScope.Vendor, "snom", 2, 2), (SettingsScope.Model, "snom710", 1, 1)],
            documents.Select(d => (d.Current.Scope, d.Current.Key, d.Current.Version, d.VersionCount)));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Resolution_prefers_the_MAC_then_the_model_then_the_vendor_then_the_general_document(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var mac = Devices.Mac(1);

        Assert.Null(await store.ResolveSettingsAsync(mac, "snom", "snom710"));
        await store.AddSettingsVersionAsync(SettingsScope.General, "", "general", null, Devices.T0);
        Assert.Equal("general", (await store.ResolveSettingsAsync(mac, "snom", "snom710"))!.Content);
        await store.AddSettingsVersionAsync(SettingsScope.Vendor, "snom", "vendor", null, Devices.T0);
        Assert.Equal("vendor", (await store.ResolveSettingsAsync(mac, "snom", "snom710"))!.Content);
        await store.AddSettingsVersionAsync(SettingsScope.Model, "SNOM710", "model", null, Devices.T0);
        Assert.Equal("model", (await store.ResolveSettingsAsync(mac, "snom", "snom710"))!.Content);
        await store.AddSettingsVersionAsync(SettingsScope.Mac, "00-04-13-00-00-01", "mac", null, Devices.T0);
        Assert.Equal("mac", (await store.ResolveSettingsAsync(mac, "snom", "snom710"))!.Content);

        // Another phone of another vendor only gets the general file; an unknown model falls back to the vendor.
        Assert.Equal("general", (await store.ResolveSettingsAsync(Devices.Mac(2), "yealink", "T46S"))!.Content);
        Assert.Equal("vendor", (await store.ResolveSettingsAsync(Devices.Mac(3), "snom", null))!.Content);

        Assert.True(await store.DeleteSettingsDocumentAsync(SettingsScope.Mac, mac, Devices.T0));
        Assert.Equal("model", (await store.ResolveSettingsAsync(mac, "snom", "snom710"))!.Content);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Deleting_a_document_keeps_its_history_and_a_new_upload_continues_the_numbering(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await store.AddSettingsVersionAsync(SettingsScope.General, null, "one", null, Devices.T0);
        await store.AddSettingsVersionAsync(SettingsScope.General, null, "two", null, Devices.T0);

        Assert.True(await store.DeleteSettingsDocumentAsync(SettingsScope.General, null, Devices.T0));
        Assert.False(await store.DeleteSettingsDocumentAsync(SettingsScope.General, null, Devices.T0));

        Assert.Null(await store.GetCurrentSettingsAsync(SettingsScope.General, null));
        Assert.Empty(await store.ListSettingsDocumentsAsync());
        Assert.Equal("one", (await store.GetSettingsVersionAsync(SettingsScope.General, null, 1))!.Content);
        Assert.Equal(2, (await store.ListSettingsVersionsAsync(SettingsScope.General, null)).Count);

        var three = await store.AddSettingsVersionAsync(SettingsScope.General, null, "three", null, Devices.T0);
        Assert.Equal(3, three.Version);
        Assert.Equal("three", (await store.GetCurrentSettingsAsync(SettingsScope.General, null))!.Content);
        Assert.False(await store.DeleteSettingsDocumentAsync(SettingsScope.Vendor, "never-uploaded", Devices.T0));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Concurrent_uploads_to_one_document_get_distinct_consecutive_versions(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();

        var versions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Task.Run(() => store.AddSettingsVersionAsync(SettingsScope.Model, "t46s", $"<v{i}/>", null, Devices.T0))));

        Assert.Equal(Enumerable.Range(1, 12), versions.Select(v => v.Version).Order());
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Malformed_settings_selectors_are_rejected(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddSettingsVersionAsync(SettingsScope.Mac, "not-a-mac", "x", null, Devices.T0));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddSettingsVersionAsync(SettingsScope.General, "key", "x", null, Devices.T0));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddSettingsVersionAsync(SettingsScope.Vendor, " ", "x", null, Devices.T0));
        Assert.Empty(await store.ListSettingsDocumentsAsync());
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Variables_can_be_replaced_upserted_removed_and_exported(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var mac = Devices.Mac(1);

        await store.ReplaceVariablesAsync("00:04:13:00:00:01", new Dictionary<string, string> { ["extension"] = "101", ["display_name"] = "Alice & <Bob>" });
        await store.UpsertVariableAsync(mac, "sip_password", "s3cret");
        await store.UpsertVariableAsync(mac, "extension", "102");
        await store.UpsertVariableAsync(Devices.Mac(2), "extension", "201");
        Assert.Equal(new Dictionary<string, string> { ["display_name"] = "Alice & <Bob>", ["extension"] = "102", ["sip_password"] = "s3cret" },
            await store.GetVariablesAsync(mac));

        await store.UpsertVariableAsync(mac, "sip_password", null);
        await store.ReplaceVariablesAsync(Devices.Mac(2), new Dictionary<string, string> { ["account"] = "a2" });

        var export = await store.ExportVariablesAsync();
        Assert.Equal([mac, Devices.Mac(2)], export.Select(e => e.Mac));
        Assert.Equal(new Dictionary<string, string> { ["display_name"] = "Alice & <Bob>", ["extension"] = "102" }, export[0].Values);
        Assert.Equal(new Dictionary<string, string> { ["account"] = "a2" }, export[1].Values);
        Assert.Empty(await store.GetVariablesAsync(Devices.Mac(3)));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task An_import_replaces_or_merges_in_one_transaction_and_one_bad_row_rejects_it_all(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await store.UpsertVariableAsync(Devices.Mac(1), "keep", "old");
        var rows = Enumerable.Range(1, 100)
            .Select(i => new DeviceVariables(Devices.Mac(i), new Dictionary<string, string> { ["extension"] = $"{100 + i}", ["sip_user"] = $"u{i}" }))
            .ToList();

        Assert.Equal(100, await store.ImportVariablesAsync(rows, VariableImportMode.Merge));
        Assert.Equal("old", (await store.GetVariablesAsync(Devices.Mac(1)))["keep"]);
        Assert.Equal("150", (await store.GetVariablesAsync(Devices.Mac(50)))["extension"]);

        Assert.Equal(100, await store.ImportVariablesAsync(rows, VariableImportMode.Replace));
        Assert.False((await store.GetVariablesAsync(Devices.Mac(1))).ContainsKey("keep"));

        var bad = rows.Select(r => r with { Values = new Dictionary<string, string> { ["extension"] = "999" } }).ToList();
        bad.Add(new DeviceVariables("not-a-mac", new Dictionary<string, string> { ["extension"] = "1" }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ImportVariablesAsync(bad, VariableImportMode.Replace));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ImportVariablesAsync(
            [new DeviceVariables(Devices.Mac(1), new Dictionary<string, string> { ["bad name!"] = "1" })], VariableImportMode.Merge));
        Assert.Equal("101", (await store.GetVariablesAsync(Devices.Mac(1)))["extension"]);
        Assert.Equal(100, (await store.ExportVariablesAsync()).Count);
    }
}

using Wuerstchen.Schedulers;

namespace Wuerstchen.Tests.Schedulers;

public sealed class DdpmWuerstchenSchedulerConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-sched-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, DdpmWuerstchenSchedulerConfig.FileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ReleasedConfigs_Load()
    {
        foreach (var repo in new[] { "warp-ai--wuerstchen", "warp-ai--wuerstchen-prior" })
        {
            var config = DdpmWuerstchenSchedulerConfig.Load(Reference.Path_("configs", repo, "scheduler"));
            Assert.Equal(new DdpmWuerstchenSchedulerConfig(1.0, 0.008), config);
        }
    }

    [Fact]
    public void MissingFile_NamesIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DdpmWuerstchenSchedulerConfig.Load(_dir));
        Assert.Contains(DdpmWuerstchenSchedulerConfig.FileName, e.Message);
    }

    [Theory]
    [InlineData("{ nope", "not valid JSON")]
    [InlineData("{\"_class_name\": \"DDPMScheduler\"}", "_class_name")]
    [InlineData("{\"s\": \"0.008\"}", "'s'")]
    [InlineData("{\"scaler\": -1}", "'scaler'")]
    [InlineData("[1, 2]", "JSON object")]
    public void MalformedConfig_NamesFileAndKey(string json, string mention)
    {
        var path = Write(json);
        var e = Assert.Throws<InvalidDataException>(() => DdpmWuerstchenSchedulerConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public void MissingFields_TakeDiffusersDefaults()
    {
        Assert.Equal(new DdpmWuerstchenSchedulerConfig(), DdpmWuerstchenSchedulerConfig.Load(Write("{}")));
    }
}

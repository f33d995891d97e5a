using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class ConnectedComponentsTests
{
    [Fact]
    public void Labels_eight_connected_regions_largest_first()
    {
        string[] rows =
        [
            "#..##",
            ".#.##",
            "....#",
            "##...",
        ];
        var mask = rows.SelectMany(r => r.Select(c => c == '#')).ToArray();
        var (labels, components) = ConnectedComponents.Label(mask, 5, 4);
        Assert.Equal([5, 2, 2], components.Select(c => c.Area));
        Assert.Equal((3, 0, 4, 2), (components[0].MinX, components[0].MinY, components[0].MaxX, components[0].MaxY));
        Assert.Equal(labels[0], labels[1 * 5 + 1]); // diagonal neighbours join
        Assert.NotEqual(labels[0], labels[3 * 5]);
        Assert.Equal(0, labels[2]);
    }
}

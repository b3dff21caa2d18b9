package reports

import "math"

// maxChartPoints is the most points a chart line is drawn with; longer
// series are downsampled so a long run's SVG stays small and fast to render.
const maxChartPoints = 600

// LTTB downsamples pts to at most n points with Largest-Triangle-Three-
// Buckets (Steinarsson 2013), which keeps the first and last point and, in
// each bucket, the point that best preserves the line's visual shape — peaks
// included. pts must be ordered by T; it is returned as is when short enough.
func LTTB(pts []XY, n int) []XY {
	if n >= len(pts) || n < 3 {
		return pts
	}
	out := make([]XY, 0, n)
	out = append(out, pts[0])
	every := float64(len(pts)-2) / float64(n-2)
	a := 0
	for i := 0; i < n-2; i++ {
		// The next bucket's average is the third corner of the triangle.
		nextFrom := int(math.Floor(float64(i+1)*every)) + 1
		nextTo := min(int(math.Floor(float64(i+2)*every))+1, len(pts))
		var avgT, avgV float64
		for _, p := range pts[nextFrom:nextTo] {
			avgT += p.T
			avgV += p.V
		}
		cnt := float64(nextTo - nextFrom)
		avgT, avgV = avgT/cnt, avgV/cnt

		from := int(math.Floor(float64(i)*every)) + 1
		to := int(math.Floor(float64(i+1)*every)) + 1
		best, bestArea := from, -1.0
		for j := from; j < to; j++ {
			area := math.Abs((pts[a].T-avgT)*(pts[j].V-pts[a].V) - (pts[a].T-pts[j].T)*(avgV-pts[a].V))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		out = append(out, pts[best])
		a = best
	}
	return append(out, pts[len(pts)-1])
}
